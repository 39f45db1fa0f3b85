"""The SQLite store on a temporary home: pragmas, migrations, watchlists, photos and alerts."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from citywatch.errors import ConflictError, NotFoundError, StorageError
from citywatch.storage import Store, open_store
from citywatch.storage.migrate import migration_scripts
from citywatch.storage.sqlite import DB_NAME
from citywatch.types import Faces, Match, Person, ScanSummary, Sighting

DIM = 8


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path / "home")
    yield opened
    opened.close()


def _unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=DIM).astype(np.float32)
    return vector / np.linalg.norm(vector)


def _face(seed: int = 0, quality: float = 0.8) -> Faces:
    return Faces(
        boxes=np.array([[10, 20, 50, 70]], np.float32),
        scores=np.array([0.9], np.float32),
        landmarks=np.arange(10, dtype=np.float32).reshape(1, 5, 2) + 20,
        quality=np.array([quality], np.float32),
        embeddings=_unit(seed)[None],
    )


def _photo(value: int = 120) -> np.ndarray:
    return np.full((64, 48, 3), value, np.uint8)


def _enrol(store: Store, watchlist: str, name: str, seed: int) -> tuple[Person, int]:
    person = store.person(watchlist, name, create=True)
    photo_id = store.add_photo(person, _photo(), f"{name}.jpg", "ab" * 32, _face(seed), "fake")
    return person, photo_id


def _match(person: Person, photo_id: int, watchlist: str) -> Match:
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
    return Match(
        sighting=sighting,
        person_id=person.id,
        person_name=person.name,
        watchlist=watchlist,
        photo_id=photo_id,
        similarity=0.61,
        min_similarity=0.4,
    )


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


def test_reopening_applies_no_migration_again_and_keeps_data(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = open_store(home)
    first.create_watchlist("kept", 0.5)
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


def test_created_watchlist_reads_back(store: Store) -> None:
    created = store.create_watchlist("missing", 0.45)

    assert created.name == "missing"
    assert created.min_similarity == pytest.approx(0.45)
    assert created.created_at.tzinfo is not None
    assert (created.people, created.photos) == (0, 0)
    assert store.create_watchlist("default", None).min_similarity is None


def test_duplicate_watchlist_is_a_conflict_and_changes_nothing(store: Store) -> None:
    original = store.create_watchlist("missing", 0.45)

    with pytest.raises(ConflictError, match="'missing' already exists"):
        store.create_watchlist("missing", 0.9)

    assert store.watchlists() == [original]


def test_unknown_watchlist_names_it_and_lists_the_existing_ones(store: Store) -> None:
    store.create_watchlist("beta", None)
    store.create_watchlist("alpha", None)

    with pytest.raises(NotFoundError, match="'gamma'") as caught:
        store.watchlist("gamma")

    assert "existing: alpha, beta" in str(caught.value)


def test_unknown_watchlist_in_an_empty_store_says_there_are_none(store: Store) -> None:
    with pytest.raises(NotFoundError, match="none yet"):
        store.watchlist("anything")


def test_person_is_created_once_and_found_again(store: Store) -> None:
    store.create_watchlist("missing", None)

    created = store.person("missing", "Jane Doe", create=True)
    found = store.person("missing", "Jane Doe")

    assert created == found
    assert _count(store, "people") == 1


def test_unknown_person_is_not_created_unless_asked(store: Store) -> None:
    store.create_watchlist("missing", None)

    with pytest.raises(NotFoundError, match="'Jane Doe' on watchlist 'missing'"):
        store.person("missing", "Jane Doe")

    assert _count(store, "people") == 0


# -- photos and the gallery ------------------------------------------------------------------


def test_enrolled_photo_round_trips_through_the_gallery(store: Store) -> None:
    store.create_watchlist("default", None)
    store.create_watchlist("strict", 0.6)
    ann, ann_photo = _enrol(store, "default", "Ann", seed=1)
    bob, bob_photo = _enrol(store, "strict", "Bob", seed=2)

    gallery = store.gallery("fake", default_min_similarity=0.4)

    assert len(gallery) == 2
    assert gallery.photo_ids.tolist() == [ann_photo, bob_photo]
    assert gallery.person_ids.tolist() == [ann.id, bob.id]
    assert gallery.person_names == ("Ann", "Bob")
    assert gallery.watchlists == ("default", "strict")
    assert gallery.embeddings.tobytes() == np.stack([_unit(1), _unit(2)]).tobytes()
    np.testing.assert_allclose(gallery.min_similarities, [0.4, 0.6], rtol=1e-6)


def test_gallery_holds_only_the_asked_embedder(store: Store) -> None:
    store.create_watchlist("missing", None)
    _enrol(store, "missing", "Ann", seed=1)

    other = store.gallery("arcface", 0.3)

    assert len(other) == 0
    assert other.embeddings.shape[0] == 0


def test_enrolled_photo_is_stored_as_a_file_with_its_face(store: Store) -> None:
    store.create_watchlist("missing", None)
    person, photo_id = _enrol(store, "missing", "Ann", seed=1)

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


def test_photo_without_one_embedded_face_is_refused_and_nothing_stored(store: Store) -> None:
    store.create_watchlist("missing", None)
    person = store.person("missing", "Ann", create=True)
    unembedded = Faces(boxes=np.zeros((1, 4)), scores=np.ones(1), landmarks=np.zeros((1, 5, 2)))

    with pytest.raises(ValueError, match="exactly one embedded face"):
        store.add_photo(person, _photo(), "a.jpg", "00", unembedded, "fake")

    assert _count(store, "photos") == 0
    assert _files(store.media) == []


def test_photo_whose_row_cannot_be_written_leaves_no_file(store: Store) -> None:
    store.create_watchlist("missing", None)
    ghost = Person(id=999, watchlist="missing", name="Nobody")  # violates the foreign key

    with pytest.raises(sqlite3.IntegrityError):
        store.add_photo(ghost, _photo(), "a.jpg", "00", _face(), "fake")

    assert _count(store, "photos") == 0
    assert _files(store.media) == []


def test_unknown_photo_id_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="photo with id 42"):
        store.photo_path(42)


# -- alerts ----------------------------------------------------------------------------------


def test_alert_writes_the_crop_file_and_the_row(store: Store) -> None:
    store.create_watchlist("missing", 0.4)
    person, photo_id = _enrol(store, "missing", "Ann", seed=1)
    scan_id = store.start_scan(["door"], "fake")

    alert = store.add_alert(_match(person, photo_id, "missing"), scan_id)

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
    assert store.alerts() == [alert]
    row = store.db.execute("SELECT scan_id, embedding FROM alerts").fetchone()
    assert row["scan_id"] == scan_id
    assert row["embedding"] == _unit(99).astype("<f4").tobytes()


def test_alert_for_an_unknown_watchlist_leaves_no_row_and_no_file(store: Store) -> None:
    store.create_watchlist("missing", 0.4)
    person, photo_id = _enrol(store, "missing", "Ann", seed=1)

    with pytest.raises(NotFoundError, match="'vanished'"):
        store.add_alert(_match(person, photo_id, "vanished"))

    assert _count(store, "alerts") == 0
    assert _files(store.media / "alerts") == []


def test_alert_whose_insert_fails_removes_its_crop(store: Store) -> None:
    store.create_watchlist("missing", 0.4)
    person, photo_id = _enrol(store, "missing", "Ann", seed=1)

    with pytest.raises(sqlite3.IntegrityError):
        store.add_alert(_match(person, photo_id + 100, "missing"))  # no such photo

    assert _count(store, "alerts") == 0
    assert _files(store.media / "alerts") == []


def test_alerts_filter_by_status_newest_first(store: Store) -> None:
    store.create_watchlist("missing", 0.4)
    person, photo_id = _enrol(store, "missing", "Ann", seed=1)
    first = store.add_alert(_match(person, photo_id, "missing"))
    second = store.add_alert(_match(person, photo_id, "missing"))
    with store.transaction() as db:
        db.execute("UPDATE alerts SET status = 'confirmed' WHERE id = ?", (first.id,))

    assert [a.id for a in store.alerts()] == [second.id, first.id]
    assert [a.id for a in store.alerts(status="pending")] == [second.id]
    assert [a.id for a in store.alerts(status="confirmed")] == [first.id]
    assert store.alerts(status="dismissed") == []
    assert [a.id for a in store.alerts(limit=1)] == [second.id]


def test_unknown_alert_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="alert with id 5"):
        store.alert(5)


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
