"""The camera registry: credentials encrypted apart from the database, health rows, ordering."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from citywatch.errors import ConflictError, InputError, NotFoundError, StorageError
from citywatch.storage import Store, open_store
from citywatch.storage.sqlite import DB_NAME
from citywatch.types import Camera, CameraHealth, StreamProbe

PASSWORD = "s3cretPW-x9"
URL = f"rtsp://admin:{PASSWORD}@10.0.0.7:554/stream1?channel=2"
BARE_URL = "rtsp://10.0.0.7:554/stream1?channel=2"
KEY_FILE = Path("keys") / "cameras.key"


def _camera(camera_id: str = "door-1", **fields: object) -> Camera:
    return Camera(id=camera_id, name=f"Camera {camera_id}", url="", **fields)  # type: ignore[arg-type]


def _database_bytes(home: Path) -> bytes:
    """Every byte SQLite wrote: the main file, and the WAL and shared memory beside it."""
    return b"".join(p.read_bytes() for p in sorted(home.glob(DB_NAME + "*")))


def test_add_then_get_returns_the_camera_with_its_fields(store: Store) -> None:
    probe = StreamProbe(1280, 720, 25.0, "h264", 75, 3.1)
    added = store.cameras.add(
        _camera(
            lat=51.5,
            lon=-0.12,
            group="centre",
            owner="ShopCo",
            analysis_fps=4.0,
            min_face_px=30.0,
            priority=7,
            probe=probe,
            forced=True,
        ),
        URL,
    )

    assert added == store.cameras.get("door-1")
    assert (added.id, added.name, added.url) == ("door-1", "Camera door-1", BARE_URL)
    assert (added.lat, added.lon, added.group, added.owner) == (51.5, -0.12, "centre", "ShopCo")
    assert (added.analysis_fps, added.min_face_px, added.priority) == (4.0, 30.0, 7)
    assert added.probe == probe
    assert added.forced and added.analysis_enabled and added.has_credentials
    assert added.created_at is not None and added.created_at.tzinfo is not None


def test_a_camera_without_credentials_has_none_stored(store: Store) -> None:
    added = store.cameras.add(_camera(), "/srv/video/door.mp4")

    assert not added.has_credentials
    assert added.probe is None
    assert store.cameras.open_url("door-1") == "/srv/video/door.mp4"


def test_credentials_are_kept_out_of_the_url_column_and_every_database_byte(
    store: Store, home: Path
) -> None:
    store.cameras.add(_camera(), URL)
    store.cameras.add(_camera("door-2"), URL.replace("10.0.0.7", "10.0.0.8"))

    stored = [row[0] for row in store.db.execute("SELECT url FROM cameras")]
    assert stored == [BARE_URL, BARE_URL.replace("10.0.0.7", "10.0.0.8")]
    raw = _database_bytes(home)
    assert BARE_URL.encode() in raw  # the search does see what is stored in the clear
    assert PASSWORD.encode() not in raw
    assert b"admin:" not in raw


def test_open_url_restores_the_credentials_for_the_worker(store: Store, home: Path) -> None:
    store.cameras.add(_camera(), URL)
    store.close()

    reopened = open_store(home)
    try:
        assert reopened.cameras.open_url("door-1") == URL
    finally:
        reopened.close()


def test_the_key_file_is_owner_only_and_outside_the_database(store: Store, home: Path) -> None:
    store.cameras.add(_camera(), URL)

    key_file = home / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_bytes().strip()
    Fernet(key)  # a real key, not a placeholder
    assert key not in _database_bytes(home)


def test_a_replaced_key_file_is_a_clear_storage_error(store: Store, home: Path) -> None:
    store.cameras.add(_camera(), URL)
    store.close()
    (home / KEY_FILE).write_bytes(Fernet.generate_key())

    reopened = open_store(home)
    try:
        with pytest.raises(StorageError, match="key file was replaced") as raised:
            reopened.cameras.open_url("door-1")
        assert "cameras.key" in str(raised.value)
        assert "re-add the camera" in str(raised.value)
        assert PASSWORD not in str(raised.value)
    finally:
        reopened.close()


def test_a_corrupt_key_file_is_a_clear_storage_error(home: Path) -> None:
    (home / "keys").mkdir(parents=True)
    (home / KEY_FILE).write_bytes(b"not a key")
    store = open_store(home)
    try:
        with pytest.raises(StorageError, match=r"cameras\.key is unusable"):
            store.cameras.add(_camera(), URL)
        with pytest.raises(NotFoundError):
            store.cameras.get("door-1")  # nothing half-stored
    finally:
        store.close()


@pytest.mark.parametrize("camera_id", ["Door-1", "door 1", "-door", "", "door/1", "d" * 65])
def test_ids_that_are_not_slugs_are_refused_with_an_example(store: Store, camera_id: str) -> None:
    with pytest.raises(InputError, match="not a slug") as raised:
        store.cameras.add(_camera(camera_id), URL)

    assert "e.g. 'theatre-sq-3'" in str(raised.value)
    assert repr(camera_id) in str(raised.value)
    assert store.cameras.all() == []


@pytest.mark.parametrize("camera_id", ["door-1", "cam_07", "9", "d" * 64])
def test_slug_ids_are_accepted(store: Store, camera_id: str) -> None:
    assert store.cameras.add(_camera(camera_id), URL).id == camera_id


def test_a_duplicate_id_is_a_conflict_and_keeps_the_first(store: Store) -> None:
    store.cameras.add(_camera(), URL)

    with pytest.raises(ConflictError, match="'door-1' already exists"):
        store.cameras.add(_camera(priority=9), "rtsp://other:pw@10.9.9.9/x")

    assert store.cameras.get("door-1").priority == 0
    assert store.cameras.open_url("door-1") == URL


def test_unknown_ids_are_not_found(store: Store) -> None:
    for call in (store.cameras.get, store.cameras.remove, store.cameras.open_url):
        with pytest.raises(NotFoundError, match="no camera 'ghost'"):
            call("ghost")
    with pytest.raises(NotFoundError, match="'ghost'"):
        store.cameras.set_enabled("ghost", False)


def test_remove_deletes_the_camera_and_its_health(store: Store) -> None:
    store.cameras.add(_camera(), URL)
    store.cameras.add(_camera("door-2"), URL)
    store.cameras.record_health(CameraHealth("door-1", "live", datetime.now(UTC)))

    removed = store.cameras.remove("door-1")

    assert removed.id == "door-1"
    assert [c.id for c in store.cameras.all()] == ["door-2"]
    assert store.cameras.health() == {}
    with pytest.raises(NotFoundError):
        store.cameras.get("door-1")


def test_set_enabled_switches_analysis(store: Store) -> None:
    store.cameras.add(_camera(), URL)

    assert not store.cameras.set_enabled("door-1", False).analysis_enabled
    assert store.cameras.set_enabled("door-1", True).analysis_enabled


def test_all_lists_by_priority_then_id(store: Store) -> None:
    for camera_id, priority in [("b", 1), ("a", 1), ("c", 5), ("d", -2), ("e", 0)]:
        store.cameras.add(_camera(camera_id, priority=priority), f"/srv/{camera_id}.mp4")

    assert [c.id for c in store.cameras.all()] == ["c", "a", "b", "e", "d"]


def test_record_health_upserts_one_row_per_camera(store: Store) -> None:
    store.cameras.add(_camera(), URL)
    since = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    store.cameras.record_health(CameraHealth("door-1", "starting", since, analysed=True))
    later = since + timedelta(seconds=42)
    store.cameras.record_health(
        CameraHealth(
            "door-1",
            "offline",
            later,
            last_frame_at=later - timedelta(seconds=3),
            last_error="Connection refused",
            restarts=2,
            analysed=True,
            updated_at=later + timedelta(seconds=1),
        )
    )

    health = store.cameras.health()

    assert health == {
        "door-1": CameraHealth(
            "door-1",
            "offline",
            later,
            last_frame_at=later - timedelta(seconds=3),
            last_error="Connection refused",
            restarts=2,
            analysed=True,
            updated_at=later + timedelta(seconds=1),
        )
    }
    assert store.db.execute("SELECT count(*) FROM camera_health").fetchone()[0] == 1


def test_record_health_stamps_updated_at_when_missing(store: Store) -> None:
    store.cameras.add(_camera(), URL)
    before = datetime.now(UTC)

    store.cameras.record_health(CameraHealth("door-1", "live", before))

    updated_at = store.cameras.health()["door-1"].updated_at
    assert updated_at is not None and updated_at >= before


def test_record_health_refuses_an_unknown_state(store: Store) -> None:
    store.cameras.add(_camera(), URL)

    with pytest.raises(ValueError, match="'sleepy'"):
        store.cameras.record_health(CameraHealth("door-1", "sleepy", datetime.now(UTC)))
    assert store.cameras.health() == {}


def test_health_of_a_removed_camera_is_dropped_not_an_error(store: Store) -> None:
    # A running supervisor reports health for a camera that `camera remove` just deleted.
    store.cameras.add(_camera(), URL)
    store.cameras.add(_camera("door-2"), URL)
    store.cameras.remove("door-1")

    store.cameras.record_health(CameraHealth("door-1", "live", datetime.now(UTC)))
    store.cameras.record_health(CameraHealth("door-2", "live", datetime.now(UTC)))

    assert set(store.cameras.health()) == {"door-2"}
