"""Which cameras are analysed under the global cap, and which wait on standby."""

from __future__ import annotations

import pytest

from citywatch.ingest.stream import StreamOptions
from citywatch.runtime.messages import WorkerSpec
from citywatch.runtime.supervisor import assign_cameras
from citywatch.types import Camera


def _camera(camera_id: str, priority: int = 0, enabled: bool = True) -> Camera:
    return Camera(id=camera_id, name=camera_id, url="", priority=priority, analysis_enabled=enabled)


def _ids(cameras: list[Camera]) -> list[str]:
    return [c.id for c in cameras]


CAMERAS = [
    _camera("b", 1),
    _camera("a", 1),
    _camera("c", 5),
    _camera("d", -2),
    _camera("e", 0),
]


@pytest.mark.parametrize(
    ("cap", "analysed"),
    [
        (0, []),
        (1, ["c"]),
        (3, ["c", "a", "b"]),
        (5, ["c", "a", "b", "e", "d"]),
        (50, ["c", "a", "b", "e", "d"]),
    ],
)
def test_the_cap_takes_the_highest_priority_first_then_the_id(
    cap: int, analysed: list[str]
) -> None:
    chosen, standby = assign_cameras(CAMERAS, cap)

    assert _ids(chosen) == analysed
    assert sorted(_ids(standby)) == sorted(set("abcde") - set(analysed))


def test_standby_keeps_the_order_it_was_given() -> None:
    _, standby = assign_cameras(CAMERAS, 1)

    assert _ids(standby) == ["b", "a", "d", "e"]


def test_disabled_cameras_are_never_analysed_and_wait_on_standby() -> None:
    cameras = [_camera("top", 9, enabled=False), _camera("low", 0), _camera("off", 0, False)]

    chosen, standby = assign_cameras(cameras, cap=10)

    assert _ids(chosen) == ["low"]
    # Documented: standby is every registered camera that is not analysed, disabled ones too
    # (the supervisor still health-checks them; `camera list` shows them as "off").
    assert _ids(standby) == ["top", "off"]


def test_a_disabled_camera_does_not_use_up_the_cap() -> None:
    cameras = [_camera("top", 9, enabled=False), _camera("mid", 5), _camera("low", 0)]

    chosen, _ = assign_cameras(cameras, cap=2)

    assert _ids(chosen) == ["mid", "low"]


def test_a_worker_spec_never_shows_the_credentials_it_carries() -> None:
    spec = WorkerSpec(
        camera_id="door-1",
        url="rtsp://admin:secretpw@10.0.0.7/stream1",
        analysis_fps=5.0,
        min_face_px=24.0,
        embedder="sface",
        flip=False,
        detector_max_side_px=640,
        detector_min_score=0.6,
        shots_per_track=3,
        max_track_age_s=2.0,
        stream=StreamOptions(),
    )

    assert "secretpw" not in repr(spec) and "secretpw" not in str(spec)
    assert spec.url.endswith("@10.0.0.7/stream1")  # still there for the worker to open
