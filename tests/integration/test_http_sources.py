"""HTTP cameras on a real HTTP server: MPEG-TS over progressive HTTP, HLS, and MJPEG.

The server is Python's own `ThreadingHTTPServer` on 127.0.0.1, started by the test, serving the
first two seconds of the walking video: as a `.ts` file (progressive download), as an HLS playlist
with one-second segments cut by FFmpeg, and as `multipart/x-mixed-replace` JPEG frames paced at
`MJPEG_FPS`, the way many IP cameras serve MJPEG. Each stream ends after one pass: for a live
source a normal end of stream is a disconnect (`offline`, "stream ended").
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from fractions import Fraction
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import pytest

from citywatch.errors import SourceError
from citywatch.ingest.health import HealthMonitor
from citywatch.ingest.probe import probe_stream
from citywatch.ingest.stream import LiveSource, StreamOptions
from citywatch.types import Frame

from .conftest import WALKERS_VIDEO

CLIP_FRAMES = 50
"""Two seconds of the 25 fps walking video."""
WIDTH, HEIGHT = 640, 360
MJPEG_FPS = 10
OPTIONS = StreamOptions(open_timeout_s=10.0, read_timeout_s=5.0)


class RecordingMonitor(HealthMonitor):
    """Health as the worker would report it; `stop` is set at the first end of the stream."""

    def __init__(self) -> None:
        super().__init__("http-cam")
        self.reports: list[tuple[str, str]] = []
        self.stop = threading.Event()

    def report(self, state: str, error: str = "") -> None:
        super().report(state, error)
        self.reports.append((state, error))
        self.stop.set()


def read_until_disconnect(url: str, fps: float = 0) -> tuple[list[Frame], RecordingMonitor]:
    monitor = RecordingMonitor()
    source = LiveSource(url, "http-cam", fps, monitor, monitor.stop, OPTIONS)
    frames = list(source.frames())
    return frames, monitor


def small_clip(source: Path, target: Path) -> Path:
    """The first CLIP_FRAMES frames at WIDTH x HEIGHT, H.264 in MPEG-TS (streamable as is)."""
    with av.open(str(source)) as clip, av.open(str(target), "w", format="mpegts") as output:
        stream = output.add_stream("h264", rate=25)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"g": "25", "preset": "veryfast"}
        for index, frame in enumerate(clip.decode(video=0)):
            if index == CLIP_FRAMES:
                break
            scaled = frame.reformat(WIDTH, HEIGHT)
            scaled.pts, scaled.time_base = index, Fraction(1, 25)
            for packet in stream.encode(scaled):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
    return target


def jpeg_frames(clip: Path) -> list[bytes]:
    with av.open(str(clip)) as container:
        images = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    return [cv2.imencode(".jpg", np.asarray(image))[1].tobytes() for image in images]


class CameraHandler(SimpleHTTPRequestHandler):
    """Static files (the .ts clip, the HLS playlist and segments) plus `/mjpeg`."""

    jpegs: list[bytes] = []

    def do_GET(self) -> None:
        if self.path != "/mjpeg":
            super().do_GET()
            return
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.end_headers()
        for jpeg in self.jpegs:
            self.wfile.write(
                b"--frame\r\nContent-Type: image/jpeg\r\n"
                + f"Content-Length: {len(jpeg)}\r\n\r\n".encode()
                + jpeg
                + b"\r\n"
            )
            self.wfile.flush()
            time.sleep(1 / MJPEG_FPS)  # a camera's frame rate, not a wait for a condition

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def http_camera(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed (make system-deps installs it)")
    folder = tmp_path_factory.mktemp("http-camera")
    clip = small_clip(data_dir / WALKERS_VIDEO, folder / "clip.ts")
    (folder / "hls").mkdir()
    subprocess.run(
        [
            "ffmpeg", "-loglevel", "error", "-i", str(clip), "-c", "copy", "-f", "hls",
            "-hls_time", "1", "-hls_list_size", "0", str(folder / "hls" / "index.m3u8"),
        ],
        check=True,
    )  # fmt: skip
    handler = type("Handler", (CameraHandler,), {"jpegs": jpeg_frames(clip)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("path", ["/clip.ts", "/hls/index.m3u8"])
def test_an_http_stream_delivers_every_frame_and_its_end_is_a_disconnect(
    http_camera: str, path: str
) -> None:
    frames, monitor = read_until_disconnect(http_camera + path)

    assert len(frames) == CLIP_FRAMES
    assert frames[0].image.shape == (HEIGHT, WIDTH, 3)
    steps = np.diff([f.timestamp_s for f in frames])
    assert steps == pytest.approx(np.full(CLIP_FRAMES - 1, 0.04), abs=0.005)
    assert monitor.reports[-1] == ("offline", "stream ended")


def test_an_mjpeg_camera_is_read_frame_by_frame_at_its_own_pace(http_camera: str) -> None:
    frames, monitor = read_until_disconnect(http_camera + "/mjpeg")

    assert len(frames) == CLIP_FRAMES
    assert frames[0].image.shape == (HEIGHT, WIDTH, 3)
    # The frames came in real time at MJPEG_FPS: their stamps span the pass's duration.
    # FFmpeg numbers MJPEG frames at an assumed 25 fps; arrival times are the true clock.
    span_s = frames[-1].timestamp_s - frames[0].timestamp_s
    assert span_s == pytest.approx((CLIP_FRAMES - 1) / MJPEG_FPS, rel=0.35)
    # The camera hung up mid-boundary: FFmpeg reports an I/O error, which is a disconnect.
    assert monitor.reports[-1][0] == "offline"


def test_sampling_an_http_stream_keeps_the_analysis_rate(http_camera: str) -> None:
    frames, _ = read_until_disconnect(http_camera + "/clip.ts", fps=5)

    assert len(frames) == 10  # 2 s at 5 fps
    assert [f.index for f in frames] == list(range(0, CLIP_FRAMES, 5))


def test_probing_an_http_camera_measures_what_it_delivers(http_camera: str) -> None:
    probe = probe_stream(http_camera + "/hls/index.m3u8", seconds=1.0, options=OPTIONS)

    assert (probe.width_px, probe.height_px) == (WIDTH, HEIGHT)
    assert probe.fps == pytest.approx(25, abs=1)
    assert probe.codec == "h264"


def test_an_http_camera_that_is_not_there_fails_naming_the_problem(http_camera: str) -> None:
    with pytest.raises(SourceError) as failure:
        probe_stream(http_camera + "/no-such-camera.ts", seconds=1.0, options=OPTIONS)

    assert failure.value.state == "failed"
    assert "404" in str(failure.value) or "not found" in str(failure.value).lower()
