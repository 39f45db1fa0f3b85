"""Shared pieces of the API tests: a home with two approved cases, each with a watchlist holding
one person with one synthetic enrolled face (olga's case on camera door-1, oleg's on door-2), made
once per session through the services; alerts raised as the camera runtime would."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from citywatch.api import create_app
from citywatch.config import load_settings
from citywatch.services import Services, build_services
from citywatch.types import CaseScope, Faces, Match, Sighting

PASSWORD = "api-tests-password-2026"
"""Every API test user's password (real scrypt, hashed once per cast)."""


def clear_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from CITYWATCH_* variables too: the shell's must not leak into a test."""
    for name in list(os.environ):
        if name.startswith("CITYWATCH_"):
            monkeypatch.delenv(name)


def cast_home(home: Path, cast: dict[str, list[str]]) -> Services:
    """A new home with the first admin `ada` and `cast`; the services act as ada (close them)."""
    services = build_services(load_settings(home))
    services.bootstrap("ada", PASSWORD)
    for name, roles in cast.items():
        services.add_user(name, PASSWORD, roles)
    return services


def copy_home(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of a template home (scrypt hashes are slow: make users once)."""
    clear_environment(monkeypatch)
    copy = tmp_path / "home"
    shutil.copytree(template, copy)
    return copy


def _unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(128).astype(np.float32)
    return vector / np.linalg.norm(vector)


@pytest.fixture(scope="session")
def alerting_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Users, and two approved cases: olga's on camera door-1, oleg's on door-2, each with a
    watchlist holding one person with one (synthetic) enrolled face."""
    home = tmp_path_factory.mktemp("alerting") / "home"
    with pytest.MonkeyPatch.context() as monkeypatch:
        clear_environment(monkeypatch)
        services = cast_home(
            home, {"olga": ["officer"], "oleg": ["officer"], "sam": ["supervisor"]}
        )
        try:
            for officer, camera in (("olga", "door-1"), ("oleg", "door-2")):
                services.authenticate(officer, PASSWORD)
                scope = CaseScope(camera_ids=frozenset({camera}))
                expires = datetime.now(UTC) + timedelta(days=3)
                services.create_case(f"C-{officer}", "wanted", "Order 1/2026", scope, expires)
                services.authenticate("sam", PASSWORD)
                services.approve_case(f"C-{officer}")
                services.authenticate(officer, PASSWORD)
                services.create_watchlist(f"list-{officer}", 0.4, f"C-{officer}")
                person = services.store.person(
                    f"list-{officer}", f"Person of {officer}", create=True
                )
                face = Faces(
                    boxes=np.array([[10, 20, 50, 70]], np.float32),
                    scores=np.array([0.9], np.float32),
                    landmarks=np.zeros((1, 5, 2), np.float32),
                    quality=np.array([0.8], np.float32),
                    embeddings=_unit(1)[None],
                )
                services.store.add_photo(
                    person, np.full((64, 48, 3), 120, np.uint8), "p.jpg", "ab" * 32, face, "sface"
                )
        finally:
            services.close()
    return home


@pytest.fixture
def alerting_home(alerting_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return copy_home(alerting_template, tmp_path, monkeypatch)


@pytest.fixture
def alerting_client(alerting_home: Path) -> Iterator[TestClient]:
    with TestClient(create_app(load_settings(alerting_home))) as test_client:
        yield test_client


def raise_alert(home: Path, officer: str, camera: str) -> int:
    """An alert written by another process's store, as the camera runtime would."""
    services: Services = build_services(load_settings(home))
    try:
        listed = f"list-{officer}"
        person = services.store.person(listed, f"Person of {officer}")
        photo_id = int(
            services.store.db.execute(
                "SELECT id FROM photos WHERE person_id = ?", (person.id,)
            ).fetchone()[0]
        )
        sighting = Sighting(
            camera_id=camera,
            track_id=1,
            first_seen_s=0.5,
            last_seen_s=2.0,
            crop=np.full((40, 30, 3), 200, np.uint8),
            embedding=_unit(1),
            quality=0.7,
            face_px=44.0,
            shots=2,
            frames=8,
        )
        alert = services.store.add_alert(
            Match(sighting, person.id, person.name, listed, photo_id, 0.9, 0.4)
        )
        assert alert is not None
        return alert.id
    finally:
        services.close()


def login(client: TestClient, name: str, password: str = PASSWORD) -> dict[str, str]:
    """`Authorization` headers for `name`'s new session."""
    response = client.post("/api/auth/login", json={"name": name, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}
