"""Rows for the store's unit tests: unit vectors, one-face `Faces`, active cases, enrolled people,
sightings, matches and raised alerts.

This folder is not a package, so pytest puts it on `sys.path` and the tests import these by name
(`from factories import ...`); fixtures stay in `conftest.py`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from citywatch.storage import Store
from citywatch.types import Alert, Case, CaseScope, Faces, Match, Person, Sighting

DIM = 8
"""Length of the fake embedder's vectors."""
PASSWORD = "store-tests-2026"
"""The password behind `password_hash`, the one hash every test user gets."""
RETENTION_DAYS = 30
"""How long an `active_case` keeps its alerts unless told otherwise."""
SIGHTING_SEED = 99
"""Seed of every sighting's embedding: `unit(SIGHTING_SEED)`."""


def unit(seed: int) -> np.ndarray:
    """A random unit-length float32 vector, the same for the same seed."""
    vector = np.random.default_rng(seed).normal(size=DIM).astype(np.float32)
    return vector / np.linalg.norm(vector)


def face(seed: int = 0, quality: float = 0.8) -> Faces:
    """One 40x50 px face embedded as `unit(seed)`."""
    return Faces(
        boxes=np.array([[10, 20, 50, 70]], np.float32),
        scores=np.array([0.9], np.float32),
        landmarks=np.arange(10, dtype=np.float32).reshape(1, 5, 2) + 20,
        quality=np.array([quality], np.float32),
        embeddings=unit(seed)[None],
    )


def photo(value: int = 120) -> np.ndarray:
    """A flat grey 48x64 BGR image."""
    return np.full((64, 48, 3), value, np.uint8)


def active_case(
    store: Store,
    password_hash: str,
    reference: str = "CASE-1",
    scope: CaseScope | None = None,
    expires_at: datetime | None = None,
    retention_days: int = RETENTION_DAYS,
    approved_at: datetime | None = None,
) -> Case:
    """A case of officer `olga` approved by supervisor `sam` (each added if missing), by default
    covering camera `door` at any time for 30 days and approved now."""
    officer = store.users.find("olga") or store.users.add("olga", password_hash, ["officer"])
    supervisor = store.users.find("sam") or store.users.add("sam", password_hash, ["supervisor"])
    draft = store.cases.create(
        reference,
        "wanted",
        "search order 1/2026",
        scope or CaseScope(camera_ids=frozenset({"door"})),
        officer,
        expires_at or datetime.now(UTC) + timedelta(days=30),
        retention_days,
    )
    return store.cases.approve(draft, supervisor, approved_at or datetime.now(UTC))


def enrol(store: Store, watchlist: str, name: str, seed: int) -> tuple[Person, int]:
    """`name` created on the existing `watchlist` with one photo embedded as `unit(seed)`:
    (the person, the photo id)."""
    person = store.person(watchlist, name, create=True)
    photo_id = store.add_photo(person, photo(), f"{name}.jpg", "ab" * 32, face(seed), "fake")
    return person, photo_id


def sighting(camera_id: str = "door", started_at: datetime | None = None) -> Sighting:
    """Track 4's pass from 1.5 s to 3.25 s, embedded as `unit(SIGHTING_SEED)`."""
    return Sighting(
        camera_id=camera_id,
        track_id=4,
        first_seen_s=1.5,
        last_seen_s=3.25,
        crop=np.full((40, 30, 3), 200, np.uint8),
        embedding=unit(SIGHTING_SEED),
        quality=0.7,
        face_px=44.0,
        shots=3,
        frames=12,
        started_at=started_at,
    )


def match(
    person: Person,
    photo_id: int,
    watchlist: str,
    camera_id: str = "door",
    started_at: datetime | None = None,
) -> Match:
    """`sighting(camera_id, started_at)` matched to `person` at 0.61 against a 0.4 threshold."""
    return Match(
        sighting=sighting(camera_id, started_at),
        person_id=person.id,
        person_name=person.name,
        watchlist=watchlist,
        photo_id=photo_id,
        similarity=0.61,
        min_similarity=0.4,
    )


def raise_alert(
    store: Store, case: Case, watchlist: str, name: str, seed: int
) -> tuple[Alert, Path]:
    """`name` enrolled on a new `watchlist` of `case`, and one alert of them seen at `door`:
    (the alert, the enrolled photo's file)."""
    store.create_watchlist(watchlist, 0.4, case.id)
    person, photo_id = enrol(store, watchlist, name, seed)
    alert = store.add_alert(match(person, photo_id, watchlist))
    assert alert is not None
    return alert, store.photo_path(photo_id)
