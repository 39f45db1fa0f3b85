"""Live sources: RTSP, HTTP(S) (MJPEG, HLS, progressive) and paced/looped files, via PyAV.

`LiveSource.frames()` never ends on its own: a normal end of stream is a disconnect, and every
disconnect is followed by a reconnect with exponential backoff (0.25 s doubling to 10 s, reset by
the first frame). It ends only when `stop` is set.

Timestamps: the tracker needs smooth time, alerts need trustworthy time. Frame times follow the
stream's own presentation timestamps within one connection (smooth, immune to delivery jitter)
but are anchored to the server's monotonic clock at each connection and re-anchored when the
camera's clock jumps, so a camera that resets its clock can neither stall nor reorder events.
A file read faster than real time (`pace_files=False`) keeps its own stream time instead, and a
replay (loop or reconnect) continues after the last frame rather than starting again behind it.
`timestamp_s` counts seconds from `started_at` (server UTC).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import av
import numpy as np

from citywatch.ingest.health import HealthMonitor, classify_error
from citywatch.ingest.urls import redact_text
from citywatch.ingest.video import FrameSampler
from citywatch.types import Frame, Image

MAX_CLOCK_DRIFT_S = 2.0


@dataclass(frozen=True, slots=True)
class StreamOptions:
    transport: str = "tcp"
    """RTSP lower transport: `tcp` (default: survives NAT and loss) or `udp`."""
    open_timeout_s: float = 10.0
    read_timeout_s: float = 5.0
    backoff_initial_s: float = 0.25
    backoff_max_s: float = 10.0
    keyframes_only: bool = False
    """Decode only keyframes: cheap coverage of many cameras, at the keyframe interval."""
    pace_files: bool = True
    """Play local files at their native frame rate, as a camera would."""
    loop_files: bool = False
    max_side_px: int = 0
    """Shrink analysed frames while converting them (cheaper than converting, then resizing)."""


def open_options(url: str, options: StreamOptions) -> dict[str, str]:
    """FFmpeg options for a URL; the RTSP socket timeout is in microseconds (`stimeout` is gone)."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else "file"
    if scheme in ("rtsp", "rtsps"):
        return {
            "rtsp_transport": options.transport,
            "timeout": str(int(options.read_timeout_s * 1_000_000)),
            "fflags": "nobuffer",
        }
    if scheme in ("http", "https"):
        return {
            "rw_timeout": str(int(options.read_timeout_s * 1_000_000)),
            "reconnect": "0",  # we reconnect ourselves, with backoff and health
        }
    return {}


def is_file(url: str) -> bool:
    return "://" not in url or url.lower().startswith("file://")


class LiveSource:
    def __init__(
        self,
        url: str,
        camera_id: str,
        fps: float,
        monitor: HealthMonitor,
        stop: threading.Event,
        options: StreamOptions | None = None,
    ) -> None:
        self.url = url
        self.camera_id = camera_id
        self.fps = fps
        self.monitor = monitor
        self.stop = stop
        self.options = options or StreamOptions()
        self.started_at = datetime.now(UTC)
        self._start_mono = time.monotonic()
        self.connections = 0
        self.decode_errors = 0
        self.frames_decoded = 0
        self._last_timestamp_s = 0.0
        self._resume_s = 0.0
        """Stream time just after the last packet read from a file: where a replay resumes."""

    def now_s(self) -> float:
        return time.monotonic() - self._start_mono

    def frames(self) -> Iterator[Frame]:
        backoff = self.options.backoff_initial_s
        while not self.stop.is_set():
            delivered = False
            try:
                for frame in self._connection():
                    delivered = True
                    yield frame
                if self.stop.is_set():
                    return
                self.monitor.report("offline", "stream ended")
            except (av.error.FFmpegError, OSError) as error:
                self.monitor.report(classify_error(error), f"{type(error).__name__}: {error}")
            if delivered:
                backoff = self.options.backoff_initial_s
            if self.stop.wait(backoff):
                return
            backoff = min(backoff * 2, self.options.backoff_max_s)

    def _connection(self) -> Iterator[Frame]:
        options = self.options
        path = self.url[7:] if self.url.lower().startswith("file://") else self.url
        container = av.open(
            path,
            options=open_options(self.url, options),
            timeout=(options.open_timeout_s, options.read_timeout_s),
        )
        self.connections += 1
        with container:
            if not container.streams.video:
                raise av.error.InvalidDataError(0, f"{redact_text(self.url)} has no video stream")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            if options.keyframes_only:
                stream.codec_context.skip_frame = "NONKEY"
            sampler = FrameSampler(self.fps)
            time_base = float(stream.time_base) if stream.time_base else 1 / 90000
            pace = is_file(self.url) and options.pace_files
            # A file read faster than real time runs on its own (stream) clock: re-anchoring it
            # to the server's clock would freeze its timestamps until the server caught up.
            server_clock = not is_file(self.url) or options.pace_files
            rate = stream.average_rate or stream.guessed_rate
            period_s = 1 / float(rate) if rate else 0.04
            anchor_s: float | None = None
            first_pts: int | None = None
            while True:  # one pass of a file, or the whole life of a live connection
                for packet in container.demux(stream):
                    self.monitor.touch()
                    if self.stop.is_set():
                        return
                    try:
                        decoded = packet.decode()
                    except av.error.InvalidDataError:
                        self.decode_errors += 1  # a damaged packet: skip it, keep the stream
                        continue
                    for frame in decoded:
                        self.frames_decoded += 1
                        self.monitor.frame()
                        now_s = self.now_s()
                        pts = frame.pts if frame.pts is not None else packet.dts
                        if pts is None:
                            timestamp_s = now_s
                        else:
                            if first_pts is None or anchor_s is None:
                                # A reconnection or another pass of a looped file continues
                                # after the last frame (of a file: its last packet), never
                                # behind it, or time would freeze at the last timestamp.
                                first_pts, anchor_s = pts, now_s
                                if self.frames_decoded > 1:
                                    next_s = max(self._last_timestamp_s + period_s, self._resume_s)
                                    anchor_s = max(now_s, next_s) if server_clock else next_s
                            timestamp_s = anchor_s + (pts - first_pts) * time_base
                            if pace and timestamp_s > now_s:
                                if self.stop.wait(timestamp_s - now_s):
                                    return
                                now_s = self.now_s()
                            if server_clock and abs(timestamp_s - now_s) > MAX_CLOCK_DRIFT_S:
                                first_pts, anchor_s = pts, now_s  # camera clock jumped
                                timestamp_s = now_s
                        timestamp_s = max(timestamp_s, self._last_timestamp_s)
                        self._last_timestamp_s = timestamp_s
                        if not sampler.keep(timestamp_s):
                            continue
                        yield Frame(
                            image=self._pixels(frame),
                            timestamp_s=timestamp_s,
                            index=self.frames_decoded - 1,
                            camera_id=self.camera_id,
                        )
                    if is_file(self.url) and packet.pts is not None and first_pts is not None:
                        end_pts = packet.pts + (packet.duration or 0) - first_pts
                        self._resume_s = max(self._resume_s, (anchor_s or 0) + end_pts * time_base)
                if not (is_file(self.url) and options.loop_files):
                    return
                container.seek(0)
                first_pts = anchor_s = None

    def _pixels(self, frame: Any) -> Image:
        limit = self.options.max_side_px
        width, height = frame.width, frame.height
        if limit and max(width, height) > limit:
            scale = limit / max(width, height)
            width, height = round(width * scale) // 2 * 2, round(height * scale) // 2 * 2
            return np.asarray(frame.reformat(width, height, format="bgr24").to_ndarray(), np.uint8)
        return np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8)


def file_url(path: Path) -> str:
    return f"file://{path.resolve()}"
