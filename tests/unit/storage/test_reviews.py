"""Reviews of alerts and "not this person" examples in the store, on a real SQLite file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from citywatch.errors import NotFoundError
from citywatch.storage import Store, open_store
from citywatch.types import Alert, CaseScope, Faces, Match, Review, Sighting, User
from citywatch.users.passwords import hash_password

DIM = 8
AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password("review-store-tests-2026")


@dataclass(frozen=True)
class Reviewed:
    """A store with one pending alert of Ann (case `CASE-1`) and two reviewers."""

    store: Store
    alert: Alert
    rita: User
    rob: User


def _unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=DIM).astype(np.float32)
    return vector / np.linalg.norm(vector)


def _raise_alert(store: Store, password_hash: str) -> Alert:
    officer = store.users.add("olga", password_hash, ["officer"])
    supervisor = store.users.add("sam", password_hash, ["supervisor"])
    draft = store.cases.create(
        "CASE-1",
        "wanted",
        "search order 1/2026",
        CaseScope(camera_ids=frozenset({"door"})),
        officer,
        datetime.now(UTC) + timedelta(days=30),
        30,
    )
    case = store.cases.approve(draft, supervisor, datetime.now(UTC))
    store.create_watchlist("wanted", 0.4, case.id)
    person = store.person("wanted", "Ann", create=True)
    face = Faces(
        boxes=np.array([[10, 20, 50, 70]], np.float32),
        scores=np.array([0.9], np.float32),
        landmarks=np.zeros((1, 5, 2), np.float32),
        quality=np.array([0.8], np.float32),
        embeddings=_unit(1)[None],
    )
    photo_id = store.add_photo(
        person, np.full((64, 48, 3), 120, np.uint8), "ann.jpg", "ab" * 32, face, "fake"
    )
    sighting = Sighting(
        camera_id="door",
        track_id=4,
        first_seen_s=1.5,
        last_seen_s=3.25,
        crop=np.full((40, 30, 3), 200, np.uint8),
        embedding=_unit(99),
        quality=0.7,
        face_px=44.0,
        shots=3,
        frames=12,
    )
    alert = store.add_alert(Match(sighting, person.id, "Ann", "wanted", photo_id, 0.61, 0.4))
    assert alert is not None
    return alert


@pytest.fixture
def reviewed(tmp_path: Path, password_hash: str) -> Iterator[Reviewed]:
    store = open_store(tmp_path / "home")
    alert = _raise_alert(store, password_hash)
    rita = store.users.add("rita", password_hash, ["reviewer"])
    rob = store.users.add("rob", password_hash, ["reviewer"])
    yield Reviewed(store, alert, rita, rob)
    store.close()


def _review(
    alert: Alert, reviewer: User, decision: str, note: str = "", minutes: int = 0
) -> Review:
    return Review(alert.id, reviewer.name, decision, note, AT + timedelta(minutes=minutes))


# -- reviews ---------------------------------------------------------------------------------


def test_review_is_stored_and_sets_the_alert_status(reviewed: Reviewed) -> None:
    store, alert = reviewed.store, reviewed.alert

    store.reviews.add(
        _review(alert, reviewed.rita, "confirm", "same scar"), reviewed.rita, "pending"
    )

    assert store.alert(alert.id).status == "pending"
    assert store.alert(alert.id).confirmations == 1
    store.reviews.add(_review(alert, reviewed.rob, "confirm", minutes=5), reviewed.rob, "confirmed")

    confirmed = store.alert(alert.id)
    assert (confirmed.status, confirmed.confirmations) == ("confirmed", 2)
    assert store.reviews.reviews(alert.id) == [
        Review(alert.id, "rita", "confirm", "same scar", AT),
        Review(alert.id, "rob", "confirm", "", AT + timedelta(minutes=5)),
    ]


def test_a_rejection_sets_the_status_and_is_no_confirmation(reviewed: Reviewed) -> None:
    store, alert = reviewed.store, reviewed.alert
    store.reviews.add(_review(alert, reviewed.rita, "confirm"), reviewed.rita, "pending")

    store.reviews.add(
        _review(alert, reviewed.rob, "reject", "different ears"), reviewed.rob, "rejected"
    )

    rejected = store.alert(alert.id)
    assert (rejected.status, rejected.confirmations) == ("rejected", 1)
    assert [r.decision for r in store.reviews.reviews(alert.id)] == ["confirm", "reject"]


def test_the_same_reviewer_twice_is_refused_by_the_database(reviewed: Reviewed) -> None:
    store, alert, rita = reviewed.store, reviewed.alert, reviewed.rita
    store.reviews.add(_review(alert, rita, "confirm"), rita, "pending")

    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        store.reviews.add(_review(alert, rita, "confirm", minutes=1), rita, "confirmed")

    assert store.alert(alert.id).status == "pending"  # the status change rolled back with it
    assert store.alert(alert.id).confirmations == 1
    assert len(store.reviews.reviews(alert.id)) == 1


def test_an_alert_without_reviews_has_none(reviewed: Reviewed) -> None:
    assert reviewed.store.reviews.reviews(reviewed.alert.id) == []
    assert reviewed.store.alert(reviewed.alert.id).confirmations == 0


def test_a_review_of_an_unknown_alert_is_refused(reviewed: Reviewed) -> None:
    store, rita = reviewed.store, reviewed.rita

    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        store.reviews.add(Review(404, "rita", "confirm", "", AT), rita, "confirmed")

    assert store.db.execute("SELECT count(*) FROM alert_reviews").fetchone()[0] == 0


# -- not this person -------------------------------------------------------------------------


def test_not_this_person_copies_the_alerts_sighting_embedding(reviewed: Reviewed) -> None:
    store, alert = reviewed.store, reviewed.alert

    example_id = store.reviews.add_not_this_person(alert.id, "fake")

    row = store.db.execute("SELECT * FROM not_this_person WHERE id = ?", (example_id,)).fetchone()
    assert (row["person_id"], row["alert_id"], row["embedder"]) == (
        alert.person_id,
        alert.id,
        "fake",
    )
    assert row["embedding"] == _unit(99).astype("<f4").tobytes()


def test_not_this_person_examples_feed_the_gallery(reviewed: Reviewed) -> None:
    store, alert = reviewed.store, reviewed.alert
    before = store.gallery("fake", 0.4)
    assert before.rejected_embeddings.shape == (0, DIM)
    assert before.rejected_person_ids.tolist() == []

    store.reviews.add_not_this_person(alert.id, "fake")

    gallery = store.gallery("fake", 0.4)
    assert gallery.rejected_embeddings.tobytes() == _unit(99)[None].tobytes()
    assert gallery.rejected_embeddings.dtype == np.float32
    assert gallery.rejected_person_ids.tolist() == [alert.person_id]
    assert gallery.person_ids.tolist() == [alert.person_id]  # the person is still listed


def test_not_this_person_examples_are_kept_per_embedder(reviewed: Reviewed) -> None:
    store, alert = reviewed.store, reviewed.alert

    store.reviews.add_not_this_person(alert.id, "arcface")

    assert len(store.reviews.rejected_examples("fake")[1]) == 0
    assert store.gallery("fake", 0.4).rejected_embeddings.shape == (0, DIM)
    embeddings, person_ids = store.reviews.rejected_examples("arcface")
    assert embeddings.shape == (1, DIM) and person_ids.tolist() == [alert.person_id]


def test_not_this_person_for_an_unknown_alert_is_not_found(reviewed: Reviewed) -> None:
    store = reviewed.store

    with pytest.raises(NotFoundError, match="no alert with id 404"):
        store.reviews.add_not_this_person(404, "fake")

    assert store.db.execute("SELECT count(*) FROM not_this_person").fetchone()[0] == 0
