"""Reviews of alerts and "not this person" examples in the store, on a real SQLite file."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from factories import DIM, SIGHTING_SEED, active_case, raise_alert, unit

from citywatch.errors import NotFoundError
from citywatch.storage import Store
from citywatch.types import Alert, Review, User

AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Reviewed:
    """A store with one pending alert of Ann (case `CASE-1`) and two reviewers."""

    store: Store
    alert: Alert
    rita: User
    rob: User


@pytest.fixture
def reviewed(store: Store, password_hash: str) -> Reviewed:
    alert, _ = raise_alert(store, active_case(store, password_hash), "wanted", "Ann", seed=1)
    rita = store.users.add("rita", password_hash, ["reviewer"])
    rob = store.users.add("rob", password_hash, ["reviewer"])
    return Reviewed(store, alert, rita, rob)


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
    assert row["embedding"] == unit(SIGHTING_SEED).astype("<f4").tobytes()


def test_not_this_person_examples_feed_the_gallery(reviewed: Reviewed) -> None:
    store, alert = reviewed.store, reviewed.alert
    before = store.gallery("fake", 0.4)
    assert before.rejected_embeddings.shape == (0, DIM)
    assert before.rejected_person_ids.tolist() == []

    store.reviews.add_not_this_person(alert.id, "fake")

    gallery = store.gallery("fake", 0.4)
    assert gallery.rejected_embeddings.tobytes() == unit(SIGHTING_SEED)[None].tobytes()
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
