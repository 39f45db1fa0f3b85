"""Live alerts over Server-Sent Events, from the durable outbox, for the cases a user may see."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from citywatch.api import create_app
from citywatch.config import load_settings
from citywatch.services import Services, build_services
from citywatch.types import CaseScope, Faces, Match, Sighting

PASSWORD = "stream-tests-password-2026"


def _unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(128).astype(np.float32)
    return vector / np.linalg.norm(vector)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Users, and two approved cases: olga's on camera door-1, oleg's on door-2, each with a
    watchlist holding one person with one (synthetic) enrolled face."""
    home = tmp_path_factory.mktemp("stream") / "home"
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name in list(os.environ):
            if name.startswith("CITYWATCH_"):
                monkeypatch.delenv(name)
        services = build_services(load_settings(home))
        try:
            services.bootstrap("ada", PASSWORD)
            for name, roles in {
                "olga": ["officer"],
                "oleg": ["officer"],
                "sam": ["supervisor"],
            }.items():
                services.add_user(name, PASSWORD, roles)
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
def home(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("CITYWATCH_"):
            monkeypatch.delenv(name)
    copy = tmp_path / "home"
    shutil.copytree(template, copy)
    return copy


@pytest.fixture
def client(home: Path) -> Iterator[TestClient]:
    with TestClient(create_app(load_settings(home))) as test_client:
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


def login(client: TestClient, name: str) -> dict[str, str]:
    token = client.post("/api/auth/login", json={"name": name, "password": PASSWORD}).json()[
        "token"
    ]
    return {"Authorization": f"Bearer {token}"}


def read_events(
    client: TestClient, headers: dict[str, str], url: str, count: int
) -> list[dict[str, Any]]:
    """The first `count` events of the stream, parsed; then the client hangs up."""
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if not line:
                if "data" in current:
                    events.append(current)
                    if len(events) == count:
                        return events
                current = {}
            elif not line.startswith(":"):
                key, _, value = line.partition(": ")
                current[key] = json.loads(value) if key == "data" else value
    return events


def test_an_alert_reaches_the_stream_with_its_id_kind_and_label(
    client: TestClient, home: Path
) -> None:
    alert_id = raise_alert(home, "olga", "door-1")

    (event,) = read_events(client, login(client, "olga"), "/api/alerts/stream?after=0", 1)

    assert event["event"] == "raised"
    assert int(event["id"]) >= 1
    assert event["data"]["id"] == alert_id
    assert event["data"]["label"].startswith("unverified, do not act alone")


def test_a_user_sees_only_alerts_of_cases_they_may_see(client: TestClient, home: Path) -> None:
    raise_alert(home, "oleg", "door-2")
    mine = raise_alert(home, "olga", "door-1")

    (event,) = read_events(client, login(client, "olga"), "/api/alerts/stream?after=0", 1)
    assert event["data"]["id"] == mine
    both = read_events(client, login(client, "sam"), "/api/alerts/stream?after=0", 2)
    assert {e["data"]["case"] for e in both} == {"C-olga", "C-oleg"}


def test_a_client_that_reconnects_gets_what_it_missed_and_nothing_twice(
    client: TestClient, home: Path
) -> None:
    olga = login(client, "olga")
    first = raise_alert(home, "olga", "door-1")
    (seen,) = read_events(client, olga, "/api/alerts/stream?after=0", 1)
    second = raise_alert(home, "olga", "door-1")

    (missed,) = read_events(client, {**olga, "Last-Event-ID": seen["id"]}, "/api/alerts/stream", 1)

    assert (seen["data"]["id"], missed["data"]["id"]) == (first, second)


def test_streaming_is_refused_to_auditors_and_strangers(client: TestClient) -> None:
    assert client.get("/api/alerts/stream").status_code == 401
    ada = login(client, "ada")
    assert client.get("/api/alerts/stream", headers=ada).status_code == 403
