"""Probing measures what a stream delivers; the onboarding bar judges the measurement."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from citywatch.errors import SourceError
from citywatch.ingest.probe import onboarding_problems, probe_stream
from citywatch.ingest.stream import StreamOptions, file_url
from citywatch.types import StreamProbe

MakeClip = Callable[..., Path]


@pytest.mark.parametrize(
    ("width", "height", "fps"), [(320, 240, 15), (320, 240, 30), (640, 480, 25)]
)
def test_probe_measures_size_and_frame_rate(
    make_clip: MakeClip, width: int, height: int, fps: int
) -> None:
    clip = make_clip(width, height, fps)

    probe = probe_stream(str(clip))

    assert (probe.width_px, probe.height_px) == (width, height)
    assert probe.fps == pytest.approx(fps, abs=0.05)
    assert probe.codec == "h264"
    assert probe.frames == round(2 * fps)  # the whole 2 s clip: less than 75 frames or 3 s
    assert probe.seconds >= 0


def test_probe_stops_after_the_time_asked_for(make_clip: MakeClip) -> None:
    probe = probe_stream(str(make_clip(320, 240, 25)), seconds=0.5)

    assert probe.frames == 14  # frames 0 s to 0.52 s: the first one at least 0.5 s in ends it
    assert probe.fps == pytest.approx(25, abs=0.05)


def test_probe_reads_a_file_url(make_clip: MakeClip) -> None:
    probe = probe_stream(file_url(make_clip(320, 240, 15)))

    assert (probe.width_px, probe.fps) == (320, 15.0)


def test_probe_of_a_missing_file_is_a_failed_source(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.mp4"

    with pytest.raises(SourceError, match="cannot open the stream") as raised:
        probe_stream(str(missing))

    assert raised.value.state == "failed"
    assert str(missing) in str(raised.value)


def test_probe_of_a_file_that_is_not_video_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "notes.mp4"
    junk.write_bytes(b"these are not the frames you are looking for\n" * 100)

    with pytest.raises(SourceError, match=r"notes\.mp4"):
        probe_stream(str(junk))


def test_probe_of_a_refused_camera_is_offline_and_hides_the_password(closed_port: int) -> None:
    url = f"rtsp://admin:secretpw@127.0.0.1:{closed_port}/stream1"
    options = StreamOptions(open_timeout_s=2, read_timeout_s=2)

    with pytest.raises(SourceError, match="Connection refused") as raised:
        probe_stream(url, seconds=0.5, options=options)

    assert raised.value.state == "offline"
    assert "secretpw" not in str(raised.value)
    assert f"rtsp://***@127.0.0.1:{closed_port}/stream1" in str(raised.value)


def _probe(width: int, height: int, fps: float) -> StreamProbe:
    return StreamProbe(width, height, fps, "h264", 75, 3.0)


@pytest.mark.parametrize(
    ("width", "height", "fps"),
    [(1280, 720, 25), (1920, 1080, 15), (1280, 720, 25.3), (2560, 1440, 14.6), (1280, 720, 20)],
)
def test_cameras_that_meet_the_bar_have_no_problems(width: int, height: int, fps: float) -> None:
    assert onboarding_problems(_probe(width, height, fps)) == []


@pytest.mark.parametrize(
    ("width", "height", "fps", "named"),
    [
        (640, 480, 25, ["resolution 640x480 is below the required 1280x720"]),
        (1280, 719, 25, ["resolution 1280x719"]),
        (1920, 1080, 30, ["frame rate 30.0 fps is outside the required 15-25 fps"]),
        (1920, 1080, 12, ["frame rate 12.0 fps"]),
        (1920, 1080, 25.6, ["frame rate 25.6 fps"]),
        (640, 480, 30, ["resolution 640x480", "frame rate 30.0 fps"]),
    ],
)
def test_cameras_below_the_bar_are_told_what_fails(
    width: int, height: int, fps: float, named: list[str]
) -> None:
    problems = onboarding_problems(_probe(width, height, fps))

    assert len(problems) == len(named)
    for problem, words in zip(problems, named, strict=True):
        assert words in problem


def test_a_measured_clip_is_judged_by_what_it_delivers(make_clip: MakeClip) -> None:
    small = onboarding_problems(probe_stream(str(make_clip(640, 480, 25))))
    fast = onboarding_problems(probe_stream(str(make_clip(320, 240, 30))))

    assert small == ["resolution 640x480 is below the required 1280x720"]
    assert any("frame rate 30.0 fps" in problem for problem in fast)
