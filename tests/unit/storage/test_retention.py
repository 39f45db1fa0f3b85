"""The retention job's deletions (`delete_due`) on a real SQLite file with real media files.

Every test starts from the same store, built now (`T0`): case `KEEP` (active, expires in 30 days,
alerts kept 60 days) lists Ann, case `GONE` (alerts kept 10 days) lists Bob and was closed at
`T0`. Each has one reviewed alert; Bob's was also kept as a "not this person" example. The job is
then run at later moments: `delete_due` takes the moment, so no clock has to move.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from factories import active_case, raise_alert

from citywatch.storage import Store
from citywatch.storage.retention import delete_due
from citywatch.types import Alert, Case, Review, User
from citywatch.users.tokens import new_session_token


@dataclass(frozen=True)
class Held:
    store: Store
    t0: datetime
    keep: Case
    gone: Case
    ann_alert: Alert
    bob_alert: Alert
    ann_photo: Path
    bob_photo: Path


@pytest.fixture
def held(store: Store, password_hash: str) -> Held:
    t0 = datetime.now(UTC)
    store.users.add("olga", password_hash, ["officer"])
    sam = store.users.add("sam", password_hash, ["supervisor"])
    rita: User = store.users.add("rita", password_hash, ["reviewer"])
    expires_at = t0 + timedelta(days=30)
    keep = active_case(
        store, password_hash, "KEEP", expires_at=expires_at, retention_days=60, approved_at=t0
    )
    gone = active_case(
        store, password_hash, "GONE", expires_at=expires_at, retention_days=10, approved_at=t0
    )
    ann_alert, ann_photo = raise_alert(store, keep, "kept", "Ann", seed=3)
    bob_alert, bob_photo = raise_alert(store, gone, "ended", "Bob", seed=3)
    for alert in (ann_alert, bob_alert):
        store.reviews.add(Review(alert.id, "rita", "confirm", "", t0), rita, "pending")
    store.reviews.add_not_this_person(bob_alert.id, "fake")
    gone = store.cases.close(gone, sam, t0)
    store.start_scan(["door"], "fake")
    return Held(store, t0, keep, gone, ann_alert, bob_alert, ann_photo, bob_photo)


def _counts(store: Store) -> dict[str, int]:
    """Rows in every table of the database."""
    tables = [
        r[0]
        for r in store.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {t: int(store.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in tables}


def _files(store: Store) -> set[Path]:
    return {p for p in store.media.rglob("*") if p.is_file()}


def _people(store: Store) -> list[str]:
    return [r[0] for r in store.db.execute("SELECT name FROM people ORDER BY name")]


# -- what is due -----------------------------------------------------------------------------


def test_nothing_is_due_before_any_retention_ends(held: Held) -> None:
    store = held.store
    counts, files = _counts(store), _files(store)

    report = delete_due(store, held.t0 + timedelta(days=9))

    assert (report.alerts, report.people, report.photos, report.examples) == (0, 0, 0, 0)
    assert _counts(store) == counts
    assert _files(store) == files


def test_people_and_photos_of_a_case_ended_past_its_retention_go_with_their_files(
    held: Held,
) -> None:
    store = held.store
    counts, files = _counts(store), _files(store)
    audit_head = store.audit.head()

    report = delete_due(store, held.t0 + timedelta(days=10, seconds=1))

    assert (report.alerts, report.people, report.photos, report.examples) == (1, 1, 1, 1)
    assert _people(store) == ["Ann"]
    assert [a.id for a in store.alerts()] == [held.ann_alert.id]
    assert not held.bob_photo.exists() and not held.bob_alert.crop_path.exists()
    assert _files(store) == files - {held.bob_photo, held.bob_alert.crop_path}
    # Nothing else is touched: the rows that go are Bob's and what hangs on him.
    gone = {
        "people": 1,
        "photos": 1,
        "photo_embeddings": 1,
        "alerts": 1,
        "alert_reviews": 1,
        "not_this_person": 1,
    }
    assert _counts(store) == {table: n - gone.get(table, 0) for table, n in counts.items()}
    assert [w.name for w in store.watchlists()] == ["ended", "kept"]
    assert store.audit.head() == audit_head


def test_an_alert_past_its_expiry_goes_while_its_case_keeps_the_person(held: Held) -> None:
    store = held.store
    assert held.ann_alert.expires_at is not None

    report = delete_due(store, held.ann_alert.expires_at)

    assert report.alerts == 2  # Ann's expired alert, and Bob's with his ended case
    assert store.alerts() == []
    assert not held.ann_alert.crop_path.exists()
    assert _people(store) == ["Ann"]  # KEEP expired at 30 days; its people go 60 days later
    assert held.ann_photo.is_file()
    assert len(store.gallery("fake", 0.4, at=held.t0)) == 1


def test_an_alert_is_kept_until_its_expiry(held: Held) -> None:
    assert held.ann_alert.expires_at == held.ann_alert.created_at + timedelta(days=60)

    delete_due(held.store, held.ann_alert.expires_at - timedelta(seconds=1))

    assert [a.id for a in held.store.alerts()] == [held.ann_alert.id]
    assert held.ann_alert.crop_path.is_file()


def test_the_people_of_an_expired_case_go_once_its_retention_after_expiry_ends(
    held: Held,
) -> None:
    store = held.store
    ended_at = held.keep.expires_at + timedelta(days=60)

    kept = delete_due(store, ended_at - timedelta(seconds=1))
    deleted = delete_due(store, ended_at)

    assert (kept.people, deleted.people, deleted.photos) == (1, 1, 1)  # Bob first, then Ann
    assert _people(store) == []
    assert not held.ann_photo.exists()
    assert _files(store) == set()


def test_a_moment_in_another_time_zone_means_the_same_instant(held: Held) -> None:
    assert held.ann_alert.expires_at is not None
    new_york = timezone(timedelta(hours=-5))

    early = delete_due(
        held.store, (held.ann_alert.expires_at - timedelta(hours=1)).astimezone(new_york)
    )
    due = delete_due(held.store, held.ann_alert.expires_at.astimezone(new_york))

    assert (early.alerts, due.alerts) == (1, 1)  # Bob's with his ended case, then Ann's
    assert held.store.alerts() == []


def test_expired_sessions_are_deleted_and_live_ones_kept(held: Held) -> None:
    store = held.store
    olga = store.users.get("olga")
    _, short = new_session_token()
    _, long = new_session_token()
    store.users.add_session(olga, short, held.t0 + timedelta(hours=1))
    store.users.add_session(olga, long, held.t0 + timedelta(days=2))

    report = delete_due(store, held.t0 + timedelta(days=1))

    assert report.sessions == 1
    assert store.users.session_user(long, held.t0) == olga
    assert store.users.session_user(short, held.t0) is None


# -- files after the commit ------------------------------------------------------------------


def test_files_are_removed_only_after_the_commit(held: Held) -> None:
    store = held.store

    with store.transaction():
        delete_due(store, held.t0 + timedelta(days=11))
        assert held.bob_photo.is_file() and held.bob_alert.crop_path.is_file()

    assert not held.bob_photo.exists() and not held.bob_alert.crop_path.exists()


def test_a_rolled_back_deletion_keeps_files_and_rows(held: Held) -> None:
    store = held.store
    counts, files = _counts(store), _files(store)

    with pytest.raises(RuntimeError, match="the audit record failed"), store.transaction():
        report = delete_due(store, held.t0 + timedelta(days=365))
        assert report.people == 2
        raise RuntimeError("the audit record failed")

    assert _counts(store) == counts
    assert _files(store) == files
    # A later run that commits still removes them: the rolled-back hook did not linger or run.
    delete_due(store, held.t0 + timedelta(days=365))
    assert _files(store) == set()
