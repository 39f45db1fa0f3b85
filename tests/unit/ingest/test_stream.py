"""LiveSource on synthetic clips and on a closed port: looping, sampling, pacing, reconnecting."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import numpy as np
import pytest

from citywatch.ingest.health import HealthMonitor
from citywatch.ingest.stream import LiveSource, StreamOptions, file_url, is_file, open_options
from citywatch.types import Frame

MakeClip = Callable[..., Path]
FAST = StreamOptions(pace_files=False, loop_files=True)


class CountingMonitor(HealthMonitor):
    """Records every report (each one is a connection attempt that failed or ended)."""

    def __init__(self, camera_id: str = "door-1", stop_after_reports: int = 0) -> None:
        super().__init__(camera_id)
        self.reports: list[tuple[str, str]] = []
        self.reported = threading.Event()
        self.stop_after_reports = stop_after_reports
        self.stop = threading.Event()

    def report(self, state: str, error: str = "") -> None:
        super().report(state, error)
        self.reports.append((state, error))
        if self.stop_after_reports and len(self.reports) >= self.stop_after_reports:
            self.stop.set()
        self.reported.set()


def _source(url: str | Path, options: StreamOptions, fps: float = 0) -> LiveSource:
    monitor = CountingMonitor()
    return LiveSource(str(url), "door-1", fps, monitor, monitor.stop, options)


def _take(source: LiveSource, count: int) -> list[Frame]:
    """The first `count` frames, then stop (the generator must end by itself once stopped)."""
    frames = []
    for frame in source.frames():
        frames.append(frame)
        if len(frames) == count:
            source.stop.set()
    return frames


@pytest.fixture(scope="module")
def clip_320(make_clip: MakeClip) -> Path:
    return make_clip(320, 240, 25)  # 2 s, 50 frames, keyframes at 0 and 1 s


def test_a_looped_file_keeps_going_with_smooth_time(clip_320: Path) -> None:
    source = _source(clip_320, FAST)

    frames = _take(source, 130)  # 2.6 passes of 50 frames

    assert len(frames) == 130
    assert [f.index for f in frames] == list(range(130))
    assert all(f.camera_id == "door-1" for f in frames)
    steps = np.diff([f.timestamp_s for f in frames])
    # One frame period everywhere, across both loop points: time neither stops nor goes back.
    assert steps == pytest.approx(np.full(129, 0.04), abs=1e-3)
    assert source.connections == 1
    assert source.monitor.state == "live"


def test_a_file_url_is_read_like_a_path(clip_320: Path) -> None:
    url = file_url(clip_320)
    assert url.startswith("file:///") and is_file(url)

    frames = _take(_source(url, FAST), 3)

    assert [f.image.shape for f in frames] == [(240, 320, 3)] * 3


def test_analysis_fps_keeps_every_fifth_frame_of_a_25_fps_clip(clip_320: Path) -> None:
    source = _source(clip_320, FAST, fps=5)

    frames = _take(source, 24)  # spans more than two passes of the clip

    assert [f.index for f in frames] == list(range(0, 120, 5))
    assert np.diff([f.timestamp_s for f in frames]) == pytest.approx(np.full(23, 0.2), abs=1e-3)


def test_keyframes_only_decodes_just_the_keyframes(clip_320: Path) -> None:
    source = _source(
        clip_320, StreamOptions(pace_files=False, loop_files=True, keyframes_only=True)
    )

    frames = _take(source, 4)

    assert source.frames_decoded == 4  # two keyframes a pass, nothing in between
    assert np.diff([f.timestamp_s for f in frames]) == pytest.approx([1.0, 1.0, 1.0], abs=1e-3)


@pytest.mark.parametrize(
    ("size", "max_side_px", "shape"),
    [
        ((1280, 720), 500, (280, 500, 3)),
        ((1280, 720), 321, (180, 320, 3)),
        ((1280, 720), 0, (720, 1280, 3)),
        ((320, 240), 640, (240, 320, 3)),
    ],
)
def test_max_side_px_shrinks_frames_to_even_sizes(
    make_clip: MakeClip, size: tuple[int, int], max_side_px: int, shape: tuple[int, int, int]
) -> None:
    clip = make_clip(*size, 25, seconds=1.0)
    options = StreamOptions(pace_files=False, max_side_px=max_side_px)

    frame = _take(_source(clip, options), 1)[0]

    assert frame.image.shape == shape
    assert frame.image.dtype == np.uint8


def test_a_paced_file_plays_at_its_own_frame_rate(clip_320: Path) -> None:
    source = _source(clip_320, StreamOptions(pace_files=True))
    started = time.monotonic()

    frames = _take(source, 26)  # frame 25 is due 1 s after frame 0

    assert time.monotonic() - started >= 0.8  # a lower bound: the pacing contract, not speed
    assert frames[-1].timestamp_s - frames[0].timestamp_s == pytest.approx(1.0, abs=1e-3)


def test_an_unreachable_camera_is_offline_and_retried_until_stopped(closed_port: int) -> None:
    url = f"rtsp://admin:secretpw@127.0.0.1:{closed_port}/stream1"
    options = StreamOptions(
        open_timeout_s=2.0, read_timeout_s=2.0, backoff_initial_s=0.05, backoff_max_s=0.05
    )
    source = _source(url, options)
    monitor = source.monitor
    assert isinstance(monitor, CountingMonitor)
    frames: list[Frame] = []
    reader = threading.Thread(target=lambda: frames.extend(source.frames()), daemon=True)

    reader.start()
    deadline = time.monotonic() + 20
    while len(monitor.reports) < 3 and time.monotonic() < deadline:
        monitor.reported.wait(0.5)
        monitor.reported.clear()
    source.stop.set()
    reader.join(timeout=5)

    assert not reader.is_alive(), "the generator did not return once stop was set"
    attempts = len(monitor.reports)
    assert attempts >= 3
    assert {state for state, _ in monitor.reports} == {"offline"}
    assert frames == [] and source.connections == 0
    snapshot = monitor.snapshot()
    assert snapshot.state == "offline"
    assert "Connection refused" in snapshot.last_error
    assert "secretpw" not in snapshot.last_error
    assert f"rtsp://***@127.0.0.1:{closed_port}/stream1" in snapshot.last_error


def test_the_end_of_a_file_that_does_not_loop_is_a_disconnect_then_a_reconnect(
    clip_320: Path,
) -> None:
    options = StreamOptions(pace_files=False, backoff_initial_s=0.01)
    source = _source(clip_320, options)
    assert isinstance(source.monitor, CountingMonitor)
    source.monitor.stop_after_reports = 2

    frames = list(source.frames())

    assert source.monitor.reports == [("offline", "stream ended")] * 2
    assert len(frames) == 100 and source.connections == 2
    steps = np.diff([f.timestamp_s for f in frames])
    assert np.all(steps > 0)  # a replay continues time, never freezes or restarts it


def _damage_packets(clip: Path, target: Path, first: int, last: int) -> None:
    """Overwrite the middle half of packets `first`..`last` (P-frames) with a byte pattern."""
    with av.open(str(clip)) as container:
        packets = [(p.pos, p.size) for p in container.demux(container.streams.video[0]) if p.size]
    data = bytearray(clip.read_bytes())
    for position, size in packets[first : last + 1]:
        start, end = position + size // 4, position + 3 * size // 4
        data[start:end] = (b"\xff\x00\x13" * size)[: end - start]
    target.write_bytes(bytes(data))


def test_damaged_packets_are_skipped_and_frames_after_them_still_come(
    clip_320: Path, tmp_path: Path
) -> None:
    damaged = tmp_path / "damaged.mp4"
    _damage_packets(clip_320, damaged, first=5, last=14)  # 0.2 s to 0.56 s
    source = _source(damaged, StreamOptions(pace_files=False))
    assert isinstance(source.monitor, CountingMonitor)
    source.monitor.stop_after_reports = 1  # the end of the file

    frames = list(source.frames())

    assert source.decode_errors > 0 or source.frames_decoded < 50  # the damage was real
    offsets_s = [f.timestamp_s - frames[0].timestamp_s for f in frames]
    assert sum(1 for t in offsets_s if t >= 0.6) >= 30  # frames after the damage
    assert max(offsets_s) == pytest.approx(1.96, abs=1e-3)  # up to the last frame
    assert source.monitor.reports == [("offline", "stream ended")]


@pytest.mark.parametrize("scheme", ["rtsp", "rtsps", "RTSP"])
def test_rtsp_options_give_the_socket_timeout_in_microseconds(scheme: str) -> None:
    options = StreamOptions(transport="udp", read_timeout_s=2.5)

    chosen = open_options(f"{scheme}://10.0.0.7/stream1", options)

    assert chosen["timeout"] == "2500000"
    assert chosen["rtsp_transport"] == "udp"
    assert "stimeout" not in chosen
    assert all(isinstance(value, str) for value in chosen.values())


def test_rtsp_transport_defaults_to_tcp() -> None:
    assert open_options("rtsp://10.0.0.7/x", StreamOptions())["rtsp_transport"] == "tcp"


def test_rtsp_keeps_the_packets_read_while_probing_the_stream() -> None:
    # `fflags=nobuffer` would drop them, the first keyframe with them: nothing would decode
    # until the camera's next keyframe.
    assert "fflags" not in open_options("rtsp://10.0.0.7/x", StreamOptions())


class _HungAfterOnePacket:
    """A container whose second read returns only after the read timeout, as libavformat does
    when PyAV interrupts a hung read: it flushes its parser and hands out the half frame."""

    def demux(self, _stream: object) -> Iterator[str]:
        yield "whole frame"
        time.sleep(0.25)
        yield "half frame"


def test_a_read_that_lasted_the_read_timeout_ends_a_live_connection() -> None:
    source = _source("rtsp://10.0.0.7/x", StreamOptions(read_timeout_s=0.2))
    packets = source._packets(_HungAfterOnePacket(), None)

    assert next(packets) == "whole frame"
    with pytest.raises(TimeoutError, match="read timeout"):
        next(packets)  # not the half frame: it would decode and make a hung camera look live


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_http_options_time_out_reads_and_leave_reconnecting_to_us(scheme: str) -> None:
    chosen = open_options(f"{scheme}://10.0.0.7/mjpeg", StreamOptions(read_timeout_s=4))

    assert chosen == {"rw_timeout": "4000000", "reconnect": "0"}


@pytest.mark.parametrize("url", ["/srv/door.mp4", "file:///srv/door.mp4"])
def test_files_need_no_network_options(url: str) -> None:
    assert open_options(url, StreamOptions()) == {}
