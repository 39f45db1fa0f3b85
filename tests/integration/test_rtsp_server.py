"""The RTSP test server itself, read by a real client (PyAV over RTSP/TCP, as citywatch reads).

Later tests trust this harness to behave like a camera: real-time frames, every client from the
clip's start, the same bytes every time, faults that look like a camera's faults. These tests make
sure it does, so a failure there is the client's and not the harness's.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from . import rtsp
from .conftest import CROWD_VIDEO, WALKERS_VIDEO
from .rtsp import Mount, RefusingPort, RtspServer, SilentPort

rtsp_servers = rtsp.rtsp_servers  # the fixture, for the tests that kill and restart a server

OPTIONS = {"rtsp_transport": "tcp", "timeout": "5000000"}
WALKERS_FRAMES = 105  # 4.2 s at 25 fps
CROWD_FRAMES = 341  # 13.64 s at 25 fps; the AVI declares 682 at 50 fps, half of them empty


def open_stream(url: str, read_timeout_s: float = 5.0) -> av.container.InputContainer:
    return av.open(url, options=OPTIONS, timeout=(5.0, read_timeout_s))


def packets(container: av.container.InputContainer, count: int) -> list[av.Packet]:
    """The first `count` non-empty video packets (fewer if the stream ends)."""
    found = []
    for packet in container.demux(video=0):
        if packet.size:
            found.append(packet)
            if len(found) == count:
                break
    return found


def read_until_end(container: av.container.InputContainer) -> tuple[int, str]:
    """Demux to the end: (packets read, how it ended: `end`, or the exception's class name)."""
    count = 0
    try:
        for packet in container.demux(video=0):
            count += bool(packet.size)
    except (av.error.FFmpegError, OSError) as error:
        return count, type(error).__name__
    return count, "end"


def first_frame(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_ndarray(format="rgb24")


@pytest.fixture(scope="module")
def server(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RtspServer]:
    rtsp.require_gst_rtsp_server()
    walkers, crowd = data_dir / WALKERS_VIDEO, data_dir / CROWD_VIDEO
    mounts = {
        "walkers": Mount(walkers, loop=True),
        "walkers-fast": Mount(walkers, loop=True, fast=True),
        "crowd-fast": Mount(crowd, fast=True),
        "corrupt-fast": Mount(walkers, loop=True, fast=True, corrupt_every=10, seed=7),
        "cut-hang": Mount(walkers, fast=True, truncate_after_s=1.0),
        "cut-eos": Mount(walkers, fast=True, truncate_after_s=1.0, after_truncate="eos"),
        "cut-close": Mount(walkers, truncate_after_s=1.0, after_truncate="close"),
        "once": Mount(walkers, once=True),
    }
    with RtspServer(mounts, tmp_path_factory.mktemp("rtsp")) as server:
        yield server


def test_walkers_camera_sends_1080p25_in_real_time(server: RtspServer) -> None:
    started = time.monotonic()
    with open_stream(server.url("walkers")) as container:
        stream = container.streams.video[0]
        frames = []
        for frame in container.decode(stream):
            frames.append(frame)
            if len(frames) == 50:
                break
    wall_s = time.monotonic() - started
    assert (frames[0].width, frames[0].height) == (1920, 1080)
    times = [frame.time for frame in frames if frame.time is not None]
    steps = np.diff(times)
    assert len(times) >= 45 and np.allclose(steps, 0.04, atol=0.002), steps
    # 50 frames are 2.0 s of video; a server that did not pace would deliver them in a blink.
    assert wall_s >= 1.6, f"50 frames took only {wall_s:.2f} s"


def test_every_client_gets_the_clip_from_its_first_frame(
    server: RtspServer, data_dir: Path
) -> None:
    expected = first_frame(data_dir / WALKERS_VIDEO)
    with open_stream(server.url("walkers")) as early:
        early_frames = early.decode(video=0)
        early_first = next(early_frames).to_ndarray(format="rgb24")
        for _ in itertools.islice(early_frames, 25):
            pass  # let the first client's stream run on for a second
        with open_stream(server.url("walkers")) as late:
            late_first = next(late.decode(video=0)).to_ndarray(format="rgb24")
    assert np.array_equal(early_first, expected)
    assert np.array_equal(late_first, expected)


def test_loop_replays_the_clip_byte_for_byte(server: RtspServer) -> None:
    with open_stream(server.url("walkers-fast")) as container:
        found = packets(container, 2 * WALKERS_FRAMES + 5)
        time_base = container.streams.video[0].time_base
    data = [bytes(packet) for packet in found]
    assert len(data) == 2 * WALKERS_FRAMES + 5
    assert data[WALKERS_FRAMES : 2 * WALKERS_FRAMES] == data[:WALKERS_FRAMES]
    assert found[0].is_keyframe and found[WALKERS_FRAMES].is_keyframe
    # The second pass carries on the timeline, one clip length (4.2 s) later.
    shift = [
        (found[index + WALKERS_FRAMES].pts - found[index].pts) * time_base
        for index in range(1, WALKERS_FRAMES)
    ]
    assert set(shift) == {Fraction(42, 10)}


def test_avi_clip_gets_presentation_times_from_picture_order(server: RtspServer) -> None:
    """The AVI has B-frames but no presentation times; the server derives them from the POCs."""
    with open_stream(server.url("crowd-fast")) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        frames = [(frame.time, frame.width, frame.height) for frame in container.decode(stream)]
    assert len(frames) == CROWD_FRAMES
    assert {(width, height) for _, width, height in frames} == {(1280, 720)}
    times = [time_s for time_s, _, _ in frames if time_s is not None]
    assert len(times) >= CROWD_FRAMES - 2
    assert np.allclose(np.diff(times), 0.04, atol=0.002), "frames out of order or unevenly timed"


def test_corrupt_camera_garbles_the_same_frames_the_same_way(server: RtspServer) -> None:
    count = 35
    with open_stream(server.url("walkers-fast")) as container:
        clean = [bytes(packet) for packet in packets(container, count)]
    runs = []
    for _ in range(2):
        with open_stream(server.url("corrupt-fast")) as container:
            runs.append([bytes(packet) for packet in packets(container, count)])
    assert runs[0] == runs[1], "corruption must be repeatable: the same bytes for every client"
    changed = [index for index in range(count) if runs[0][index] != clean[index]]
    assert changed == [10, 20, 30]
    assert all(len(runs[0][index]) == len(clean[index]) for index in changed)


def test_truncated_camera_hangs_mid_clip_with_the_connection_open(server: RtspServer) -> None:
    started = time.monotonic()
    with open_stream(server.url("cut-hang"), read_timeout_s=1.0) as container:
        count, ending = read_until_end(container)
    # 25 whole frames (1 s), then half a frame the client may never finish; then silence, which
    # only the read timeout ends: the server neither closed the connection nor ended the stream.
    assert count in (25, 26)
    assert ending == "ExitError"
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("mount", ["cut-eos", "cut-close"])
def test_truncated_camera_ends_or_drops_the_stream_mid_clip(server: RtspServer, mount: str) -> None:
    started = time.monotonic()
    with open_stream(server.url(mount)) as container:
        count, ending = read_until_end(container)
    assert count in (25, 26)
    assert ending != "ExitError", "the stream should end at once, not time out"
    assert time.monotonic() - started < 4.5


def test_once_camera_plays_its_clip_in_full_to_one_client_then_is_gone(
    server: RtspServer,
) -> None:
    with open_stream(server.url("once")) as container:
        assert len(packets(container, 10)) == 10  # a client that leaves early, like a probe
    with open_stream(server.url("once")) as container:
        assert read_until_end(container) == (WALKERS_FRAMES, "end")
    with pytest.raises(av.error.HTTPNotFoundError):
        open_stream(server.url("once"))


def test_killed_server_cuts_clients_off_and_restarts_on_the_same_port(
    rtsp_servers: rtsp.RtspServerFactory, data_dir: Path
) -> None:
    server = rtsp_servers({"walkers": Mount(data_dir / WALKERS_VIDEO, loop=True)})
    port = server.port
    with open_stream(server.url("walkers")) as container:
        assert len(packets(container, 5)) == 5
        server.kill()
        killed = time.monotonic()
        read_until_end(container)
        assert time.monotonic() - killed < 3, "a client of a dead server must notice at once"
    with pytest.raises(ConnectionRefusedError):
        open_stream(server.url("walkers"))
    server.restart()
    assert server.port == port
    with open_stream(server.url("walkers")) as container:
        assert packets(container, 1)[0].is_keyframe
    assert server.stop() == 0


def test_paused_server_stalls_clients_until_resumed(
    rtsp_servers: rtsp.RtspServerFactory, data_dir: Path
) -> None:
    server = rtsp_servers({"walkers": Mount(data_dir / WALKERS_VIDEO, loop=True)})
    with open_stream(server.url("walkers"), read_timeout_s=1.0) as container:
        assert len(packets(container, 5)) == 5
        server.pause()
        paused = time.monotonic()
        _, ending = read_until_end(container)
    assert ending == "ExitError", "a stopped server keeps the connection open: only a timeout"
    assert time.monotonic() - paused < 5
    server.resume()
    with open_stream(server.url("walkers")) as container:
        assert len(packets(container, 5)) == 5


def test_silent_port_fails_only_at_the_timeout_and_refusing_port_at_once() -> None:
    with SilentPort() as silent, RefusingPort() as refusing:
        started = time.monotonic()
        # FFmpeg reports an interrupted RTSP handshake as invalid data, not as a timeout.
        with pytest.raises(av.error.InvalidDataError):
            av.open(silent.url(), options=OPTIONS, timeout=(1.0, 1.0))
        assert 0.9 <= time.monotonic() - started < 4
        started = time.monotonic()
        with pytest.raises(ConnectionRefusedError):
            av.open(refusing.url(), options=OPTIONS, timeout=(1.0, 1.0))
        assert time.monotonic() - started < 0.9


def test_server_reports_a_bad_mount_instead_of_starting(tmp_path: Path) -> None:
    rtsp.require_gst_rtsp_server()
    server = RtspServer({"missing": Mount(tmp_path / "missing.mp4")}, tmp_path)
    with pytest.raises(RuntimeError, match="missing.mp4 is not a file"):
        server.start()
