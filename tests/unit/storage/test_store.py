"""The SQLite store on a temporary home: pragmas, migrations, watchlists, photos and alerts, and
the case gate: only an active case's watchlists are in the gallery, and an alert is kept only
inside its case's scope (camera, time window) while the case is active."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from factories import RETENTION_DAYS, SIGHTING_SEED, active_case, enrol, face, match, photo, unit

from citywatch.errors import ConflictError, NotFoundError, StorageError
from citywatch.storage import Store, open_store
from citywatch.storage.migrate import migration_scripts
from citywatch.storage.sqlite import DB_NAME
from citywatch.types import Camera, Case, CaseScope, Faces, Person, ScanSummary

NOW = datetime.now(UTC)


@pytest.fixture
def case(store: Store, password_hash: str) -> Case:
    return active_case(store, password_hash)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _count(store: Store, table: str) -> int:
    return int(store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


# -- opening and migrations ------------------------------------------------------------------


def test_open_store_creates_the_database_and_media_folder(tmp_path: Path) -> None:
    home = tmp_path / "new" / "home"

    store = open_store(home)
    store.close()

    assert (home / DB_NAME).is_file()
    assert (home / "media").is_dir()


def test_database_is_in_wal_mode_with_full_sync_and_foreign_keys(store: Store) -> None:
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_every_migration_is_recorded_once(store: Store) -> None:
    rows = store.db.execute("SELECT version, name FROM schema_migrations ORDER BY version")

    assert [(r[0], r[1]) for r in rows] == [(v, n) for v, n, _ in migration_scripts()]
    assert migration_scripts()[0][1] == "001_foundation.sql"


def test_reopening_applies_no_migration_again_and_keeps_data(
    tmp_path: Path, password_hash: str
) -> None:
    home = tmp_path / "home"
    first = open_store(home)
    first.create_watchlist("kept", 0.5, active_case(first, password_hash).id)
    first.close()

    second = open_store(home)
    try:
        versions = [r[0] for r in second.db.execute("SELECT version FROM schema_migrations")]
        assert versions == [v for v, _, _ in migration_scripts()]
        assert [w.name for w in second.watchlists()] == ["kept"]
    finally:
        second.close()


def test_database_newer_than_this_citywatch_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    open_store(home).close()
    newest = max(v for v, _, _ in migration_scripts())
    with sqlite3.connect(home / DB_NAME) as connection:
        connection.execute(
            "INSERT INTO schema_migrations VALUES (?, 'future.sql', '2099-01-01')", (newest + 1,)
        )
    connection.close()

    with pytest.raises(StorageError, match=f"schema version {newest + 1}, newer"):
        open_store(home)


def test_home_that_is_a_file_is_refused_naming_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.write_text("not a folder", encoding="utf-8")

    with pytest.raises(StorageError, match="cannot open the citywatch home") as caught:
        open_store(home)

    assert str(home) in str(caught.value)


# -- watchlists and people -------------------------------------------------------------------


def test_created_watchlist_reads_back_with_its_case(store: Store, case: Case) -> None:
    created = store.create_watchlist("missing", 0.45, case.id)

    assert created.name == "missing"
    assert created.min_similarity == pytest.approx(0.45)
    assert created.created_at.tzinfo is not None
    assert (created.people, created.photos) == (0, 0)
    assert (created.case_id, created.case_reference) == (case.id, "CASE-1")
    assert store.create_watchlist("default", None, case.id).min_similarity is None


def test_duplicate_watchlist_is_a_conflict_and_changes_nothing(store: Store, case: Case) -> None:
    original = store.create_watchlist("missing", 0.45, case.id)

    with pytest.raises(ConflictError, match="'missing' already exists"):
        store.create_watchlist("missing", 0.9, case.id)

    assert store.watchlists() == [original]


def test_unknown_watchlist_names_it_and_lists_the_existing_ones(store: Store, case: Case) -> None:
    store.create_watchlist("beta", None, case.id)
    store.create_watchlist("alpha", None, case.id)

    with pytest.raises(NotFoundError, match="'gamma'") as caught:
        store.watchlist("gamma")

    assert "existing: alpha, beta" in str(caught.value)


def test_unknown_watchlist_in_an_empty_store_says_there_are_none(store: Store) -> None:
    with pytest.raises(NotFoundError, match="none yet"):
        store.watchlist("anything")


def test_person_is_created_once_and_found_again(store: Store, case: Case) -> None:
    store.create_watchlist("missing", None, case.id)

    created = store.person("missing", "Jane Doe", create=True)
    found = store.person("missing", "Jane Doe")

    assert created == found
    assert _count(store, "people") == 1


def test_unknown_person_is_not_created_unless_asked(store: Store, case: Case) -> None:
    store.create_watchlist("missing", None, case.id)

    with pytest.raises(NotFoundError, match="'Jane Doe' on watchlist 'missing'"):
        store.person("missing", "Jane Doe")

    assert _count(store, "people") == 0


# -- photos and the gallery ------------------------------------------------------------------


def test_enrolled_photo_round_trips_through_the_gallery(store: Store, case: Case) -> None:
    store.create_watchlist("default", None, case.id)
    store.create_watchlist("strict", 0.6, case.id)
    ann, ann_photo = enrol(store, "default", "Ann", seed=1)
    bob, bob_photo = enrol(store, "strict", "Bob", seed=2)

    gallery = store.gallery("fake", default_min_similarity=0.4)

    assert len(gallery) == 2
    assert gallery.photo_ids.tolist() == [ann_photo, bob_photo]
    assert gallery.person_ids.tolist() == [ann.id, bob.id]
    assert gallery.person_names == ("Ann", "Bob")
    assert gallery.watchlists == ("default", "strict")
    assert gallery.embeddings.tobytes() == np.stack([unit(1), unit(2)]).tobytes()
    np.testing.assert_allclose(gallery.min_similarities, [0.4, 0.6], rtol=1e-6)


def test_gallery_holds_only_the_asked_embedder(store: Store, case: Case) -> None:
    store.create_watchlist("missing", None, case.id)
    enrol(store, "missing", "Ann", seed=1)

    other = store.gallery("arcface", 0.3)

    assert len(other) == 0
    assert other.embeddings.shape[0] == 0


def test_enrolled_photo_is_stored_as_a_file_with_its_face(store: Store, case: Case) -> None:
    store.create_watchlist("missing", None, case.id)
    person, photo_id = enrol(store, "missing", "Ann", seed=1)

    path = store.photo_path(photo_id)
    row = store.db.execute("SELECT * FROM photos WHERE id = ?", (photo_id,)).fetchone()

    assert path.is_file() and path.is_relative_to(store.media / "photos")
    stored = cv2.imread(str(path))
    assert stored.shape == (64, 48, 3)
    assert abs(int(stored[10, 10, 0]) - 120) <= 2
    assert row["face_px"] == 50.0
    assert row["quality"] == pytest.approx(0.8)
    assert store.person("missing", "Ann").photos == 1
    assert store.watchlist("missing").photos == 1


def test_photo_without_one_embedded_face_is_refused_and_nothing_stored(
    store: Store, case: Case
) -> None:
    store.create_watchlist("missing", None, case.id)
    person = store.person("missing", "Ann", create=True)
    unembedded = Faces(boxes=np.zeros((1, 4)), scores=np.ones(1), landmarks=np.zeros((1, 5, 2)))

    with pytest.raises(ValueError, match="exactly one embedded face"):
        store.add_photo(person, photo(), "a.jpg", "00", unembedded, "fake")

    assert _count(store, "photos") == 0
    assert _files(store.media) == []


def test_photo_whose_row_cannot_be_written_leaves_no_file(store: Store, case: Case) -> None:
    store.create_watchlist("missing", None, case.id)
    ghost = Person(id=999, watchlist="missing", name="Nobody")  # violates the foreign key

    with pytest.raises(sqlite3.IntegrityError):
        store.add_photo(ghost, photo(), "a.jpg", "00", face(), "fake")

    assert _count(store, "photos") == 0
    assert _files(store.media) == []


def test_unknown_photo_id_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="photo with id 42"):
        store.photo_path(42)


# -- alerts ----------------------------------------------------------------------------------


def test_alert_writes_the_crop_file_the_row_and_its_audit_record(store: Store, case: Case) -> None:
    store.create_watchlist("missing", 0.4, case.id)
    person, photo_id = enrol(store, "missing", "Ann", seed=1)
    scan_id = store.start_scan(["door"], "fake")

    alert = store.add_alert(match(person, photo_id, "missing"), scan_id, actor="olga")

    assert alert is not None
    assert alert.crop_path.is_file()
    assert alert.crop_path.is_relative_to(store.media / "alerts")
    assert cv2.imread(str(alert.crop_path)).shape == (40, 30, 3)
    assert alert.photo_path == store.photo_path(photo_id)
    assert (alert.person_name, alert.watchlist, alert.camera_id, alert.track_id) == (
        "Ann",
        "missing",
        "door",
        4,
    )
    assert (alert.first_seen_s, alert.last_seen_s) == (1.5, 3.25)
    assert alert.similarity == pytest.approx(0.61)
    assert alert.status == "pending"
    assert (alert.case_id, alert.case_reference) == (case.id, "CASE-1")
    assert alert.expires_at == alert.created_at + timedelta(days=RETENTION_DAYS)
    assert store.alerts() == [alert]
    row = store.db.execute("SELECT scan_id, embedding FROM alerts").fetchone()
    assert row["scan_id"] == scan_id
    assert row["embedding"] == unit(SIGHTING_SEED).astype("<f4").tobytes()
    [record] = store.audit.events()
    assert (record.actor, record.action, record.object, record.case_id) == (
        "olga",
        "alert.raise",
        f"alert:{alert.id}",
        case.id,
    )
    assert record.details == {
        "camera": "door",
        "watchlist": "missing",
        "person_id": person.id,
        "similarity": 0.61,
        "scan_id": scan_id,
    }


def test_alert_for_an_unknown_watchlist_leaves_no_row_and_no_file(store: Store, case: Case) -> None:
    store.create_watchlist("missing", 0.4, case.id)
    person, photo_id = enrol(store, "missing", "Ann", seed=1)

    with pytest.raises(NotFoundError, match="'vanished'"):
        store.add_alert(match(person, photo_id, "vanished"))

    assert _count(store, "alerts") == 0
    assert _files(store.media / "alerts") == []
    assert store.audit.count() == 0


def test_alert_whose_insert_fails_removes_its_crop(store: Store, case: Case) -> None:
    store.create_watchlist("missing", 0.4, case.id)
    person, photo_id = enrol(store, "missing", "Ann", seed=1)

    with pytest.raises(sqlite3.IntegrityError):
        store.add_alert(match(person, photo_id + 100, "missing"))  # no such photo

    assert _count(store, "alerts") == 0
    assert _files(store.media / "alerts") == []
    assert store.audit.count() == 0


def test_alerts_filter_by_status_newest_first(store: Store, case: Case) -> None:
    store.create_watchlist("missing", 0.4, case.id)
    person, photo_id = enrol(store, "missing", "Ann", seed=1)
    first = store.add_alert(match(person, photo_id, "missing"))
    second = store.add_alert(match(person, photo_id, "missing"))
    assert first is not None and second is not None
    with store.transaction() as db:
        db.execute("UPDATE alerts SET status = 'confirmed' WHERE id = ?", (first.id,))

    assert [a.id for a in store.alerts()] == [second.id, first.id]
    assert [a.id for a in store.alerts(status="pending")] == [second.id]
    assert [a.id for a in store.alerts(status="confirmed")] == [first.id]
    assert store.alerts(status="dismissed") == []
    assert [a.id for a in store.alerts(limit=1)] == [second.id]


def test_alerts_can_be_limited_to_some_cases(store: Store, case: Case, password_hash: str) -> None:
    other = active_case(store, password_hash, "CASE-2")
    store.create_watchlist("mine", 0.4, case.id)
    store.create_watchlist("theirs", 0.4, other.id)
    ann, ann_photo = enrol(store, "mine", "Ann", seed=1)
    bob, bob_photo = enrol(store, "theirs", "Bob", seed=2)
    mine = store.add_alert(match(ann, ann_photo, "mine"))
    theirs = store.add_alert(match(bob, bob_photo, "theirs"))
    assert mine is not None and theirs is not None

    assert [a.id for a in store.alerts(case_ids=[case.id])] == [mine.id]
    assert [a.id for a in store.alerts(case_ids=[other.id])] == [theirs.id]
    assert store.alerts(case_ids=[]) == []
    assert [a.id for a in store.alerts()] == [theirs.id, mine.id]


def test_unknown_alert_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="alert with id 5"):
        store.alert(5)


# -- the case gate ---------------------------------------------------------------------------


def _gated_store(store: Store, case: Case) -> tuple[Person, int]:
    """Watchlist `listed` of `case` with Ann enrolled: (Ann, her photo id)."""
    store.create_watchlist("listed", 0.4, case.id)
    return enrol(store, "listed", "Ann", seed=1)


def _nothing_kept(store: Store) -> bool:
    return (
        _count(store, "alerts") == 0
        and _files(store.media / "alerts") == []
        and store.audit.count() == 0
    )


def test_gallery_holds_only_active_cases_and_one_case_on_request(
    store: Store, case: Case, password_hash: str
) -> None:
    other = active_case(store, password_hash, "CASE-2")
    draft = store.cases.create(
        "DRAFT-1",
        "wanted",
        "order 2/2026",
        CaseScope(camera_ids=frozenset({"door"})),
        store.users.get("olga"),
        NOW + timedelta(days=5),
        RETENTION_DAYS,
    )
    for name, listed_in in (("one", case), ("two", other), ("drafted", draft)):
        store.create_watchlist(name, None, listed_in.id)
        enrol(store, name, f"{name}-person", seed=len(name))

    assert store.gallery("fake", 0.4).watchlists == ("one", "two")
    assert store.gallery("fake", 0.4, case_id=other.id).watchlists == ("two",)
    assert len(store.gallery("fake", 0.4, case_id=draft.id)) == 0


def test_closed_case_watchlist_is_not_in_the_gallery(store: Store, case: Case) -> None:
    _gated_store(store, case)
    assert len(store.gallery("fake", 0.4)) == 1

    store.cases.close(case, store.users.get("sam"), datetime.now(UTC))

    gallery = store.gallery("fake", 0.4)
    assert len(gallery) == 0
    assert gallery.embeddings.shape == (0, 0)


def test_expired_case_watchlist_leaves_the_gallery_at_its_expiry(
    store: Store, password_hash: str
) -> None:
    expires_at = NOW + timedelta(days=2)
    case = active_case(store, password_hash, expires_at=expires_at)
    _gated_store(store, case)

    assert len(store.gallery("fake", 0.4, at=expires_at - timedelta(seconds=1))) == 1
    assert len(store.gallery("fake", 0.4, at=expires_at)) == 0


def test_alert_from_a_camera_outside_the_scope_is_not_kept(store: Store, case: Case) -> None:
    person, photo_id = _gated_store(store, case)

    alert = store.add_alert(match(person, photo_id, "listed", camera_id="hall"))

    assert alert is None
    assert _nothing_kept(store)


def test_alert_from_a_camera_in_a_scoped_group_is_kept(store: Store, password_hash: str) -> None:
    store.cameras.add(Camera(id="lobby", name="Lobby", url="", group="centre"), "rtsp://10.0.0.7/x")
    case = active_case(store, password_hash, scope=CaseScope(groups=frozenset({"centre"})))
    person, photo_id = _gated_store(store, case)

    kept = store.add_alert(match(person, photo_id, "listed", camera_id="lobby"))
    refused = store.add_alert(match(person, photo_id, "listed", camera_id="door"))

    assert kept is not None and kept.camera_id == "lobby"
    assert refused is None
    assert _count(store, "alerts") == 1


@pytest.mark.parametrize(
    ("starts_in_s", "ends_in_s", "seen_in_s"),
    [
        (3600, None, 0),  # the window has not started yet
        (-7200, -3600, 0),  # the window has ended
        (-60, None, -3600),  # a recorded sighting from before the window
    ],
)
def test_alert_seen_outside_the_time_window_is_not_kept(
    store: Store,
    password_hash: str,
    starts_in_s: float,
    ends_in_s: float | None,
    seen_in_s: float,
) -> None:
    now = datetime.now(UTC)
    scope = CaseScope(
        camera_ids=frozenset({"door"}),
        starts_at=now + timedelta(seconds=starts_in_s),
        ends_at=None if ends_in_s is None else now + timedelta(seconds=ends_in_s),
    )
    case = active_case(store, password_hash, scope=scope)
    person, photo_id = _gated_store(store, case)
    # The sighting is seen `first_seen_s` (1.5 s) after its source started.
    started_at = now + timedelta(seconds=seen_in_s - 1.5)

    alert = store.add_alert(match(person, photo_id, "listed", started_at=started_at))

    assert alert is None
    assert _nothing_kept(store)


def test_alert_seen_inside_the_time_window_is_kept(store: Store, password_hash: str) -> None:
    now = datetime.now(UTC)
    scope = CaseScope(
        camera_ids=frozenset({"door"}),
        starts_at=now - timedelta(hours=2),
        ends_at=now + timedelta(hours=1),
    )
    case = active_case(store, password_hash, scope=scope)
    person, photo_id = _gated_store(store, case)

    started_at = (now - timedelta(hours=1)).replace(microsecond=0)  # stored to the millisecond

    alert = store.add_alert(match(person, photo_id, "listed", started_at=started_at))

    assert alert is not None
    assert alert.first_seen_at == started_at + timedelta(seconds=1.5)
    assert store.audit.count() == 1


def test_alert_of_a_closed_case_is_not_kept(store: Store, case: Case) -> None:
    person, photo_id = _gated_store(store, case)
    store.cases.close(case, store.users.get("olga"), datetime.now(UTC))

    alert = store.add_alert(match(person, photo_id, "listed"))

    assert alert is None
    assert _nothing_kept(store)


def test_alert_of_an_expired_case_is_not_kept(store: Store, password_hash: str) -> None:
    case = active_case(store, password_hash, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    person, photo_id = _gated_store(store, case)

    alert = store.add_alert(match(person, photo_id, "listed"))

    assert alert is None
    assert _nothing_kept(store)


def test_alert_of_a_watchlist_without_a_case_is_not_kept(store: Store, case: Case) -> None:
    person, photo_id = _gated_store(store, case)
    with store.transaction() as db:  # a list made before cases existed
        db.execute("UPDATE watchlists SET case_id = NULL")

    alert = store.add_alert(match(person, photo_id, "listed"))

    assert alert is None
    assert _nothing_kept(store)
    assert len(store.gallery("fake", 0.4)) == 0


def test_failed_transaction_rolls_back(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as db:
        db.execute(
            "INSERT INTO watchlists (name, min_similarity, created_at) VALUES ('x', NULL, 'now')"
        )
        raise RuntimeError("abort")

    assert store.watchlists() == []


def test_scan_counters_are_recorded(store: Store) -> None:
    scan_id = store.start_scan(["a.mp4", "b.mp4"], "fake")

    store.finish_scan(
        scan_id, ScanSummary(frames=10, faces=4, tracks=2, sightings=1, alerts=0, seconds=1.5)
    )

    row = store.db.execute("SELECT * FROM scans WHERE id = ?", (scan_id,)).fetchone()
    counters = [row[name] for name in ("frames", "faces", "tracks", "sightings", "alerts")]
    assert counters == [10, 4, 2, 1, 0]
    assert row["sources"] == '["a.mp4", "b.mp4"]'
    assert row["finished_at"] is not None
