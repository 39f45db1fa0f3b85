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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av
import numpy as np

from citywatch.ingest.health import HealthMonitor, classify_error
from citywatch.ingest.urls import redact_text
from citywatch.ingest.video import FrameSampler
from citywatch.types import Frame, Image

if TYPE_CHECKING:
    from citywatch.config import Settings

MAX_CLOCK_DRIFT_S = 10.0
"""A stream time this far from the server's clock means the camera's clock jumped: re-anchor.
Generous, so that a worker a few seconds behind under load keeps deterministic timestamps."""
ARRIVAL_TIME_FORMATS = frozenset({"mpjpeg"})
"""Demuxers whose frame times are made up (see `LiveSource._connection`)."""


class StreamClock:
    """Maps presentation times to source timestamps: smooth within a pass, never backwards.

    Within one connection (or one pass of a looped file) a frame's timestamp is the pass's start
    plus its presentation time since the pass's first frame, so which frames the sampler keeps
    depends only on the stream, not on delivery jitter. Frames without a timestamp (FFmpeg gives
    none for the first RTSP frame) are placed one frame period after the previous one. A new pass
    starts after the last frame handed out (or, for files, after the last packet read), at the
    server's clock when that is later; a jump of more than MAX_CLOCK_DRIFT_S re-anchors.
    """

    def __init__(self, server_clock: bool, period_s: float = 0.04) -> None:
        self.server_clock = server_clock
        self.period_s = period_s
        self.last_s: float | None = None
        self._resume_s = 0.0
        self._base_s: float | None = None
        self._first_pts_s: float | None = None
        self.resets = 0
        """Re-anchorings on the server's clock: a camera clock jump, or a consumer so far behind
        real time that its timestamps no longer say when a frame was seen (tracks split there)."""

    @property
    def timed(self) -> bool:
        """This pass has had a frame with a presentation time."""
        return self._first_pts_s is not None

    def new_pass(self) -> None:
        self._base_s = None
        self._first_pts_s = None

    def packet_end(self, pts_end_s: float) -> None:
        """(Files) presentation time just after a packet: where a replay will resume."""
        if self._base_s is not None and self._first_pts_s is not None:
            self._resume_s = max(self._resume_s, self._base_s + pts_end_s - self._first_pts_s)

    def arrival(self, now_s: float) -> float:
        """The stamp of a frame from a source without presentation times (MJPEG over HTTP):
        when it arrived, on the server's clock."""
        stamp = now_s if self.last_s is None else max(now_s, self.last_s)
        self.last_s = stamp
        return stamp

    def stamp(self, pts_s: float | None, now_s: float) -> float:
        last = self.last_s
        if self._base_s is None:
            start = now_s if self.server_clock else 0.0
            if last is not None:
                following = max(last + self.period_s, self._resume_s)
                start = max(start, following) if self.server_clock else following
            self._base_s, self._first_pts_s, stamp = start, pts_s, start
        elif pts_s is None or self._first_pts_s is None:
            stamp = (last if last is not None else self._base_s) + self.period_s
            if pts_s is not None:  # the first timestamp after timestamp-less frames
                self._base_s, self._first_pts_s = stamp, pts_s
        else:
            stamp = self._base_s + (pts_s - self._first_pts_s)
        if self.server_clock and abs(stamp - now_s) > MAX_CLOCK_DRIFT_S:
            self._base_s, self._first_pts_s, stamp = now_s, pts_s, now_s
            self.resets += 1
        if last is not None:
            stamp = max(stamp, last)
        self.last_s = stamp
        return stamp


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


def stream_options(settings: Settings, **overrides: Any) -> StreamOptions:
    """The stream options the settings ask for (RTSP transport, open and read timeouts), with
    `overrides` for what a caller decides itself (looping files, frame size)."""
    return StreamOptions(
        transport=settings.rtsp_transport,
        open_timeout_s=settings.open_timeout_s,
        read_timeout_s=settings.read_timeout_s,
        **overrides,
    )


def open_options(url: str, options: StreamOptions) -> dict[str, str]:
    """FFmpeg options for a URL; the RTSP socket timeout is in microseconds (`stimeout` is gone).

    No `fflags=nobuffer`: it makes FFmpeg drop the packets it read while probing the stream (about
    a second, keyframe included), so nothing decodes until the camera's next keyframe.
    """
    scheme = url.split("://", 1)[0].lower() if "://" in url else "file"
    if scheme in ("rtsp", "rtsps"):
        return {
            "rtsp_transport": options.transport,
            "timeout": str(int(options.read_timeout_s * 1_000_000)),
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
        on_disconnect: Callable[[], None] | None = None,
    ) -> None:
        self.url = url
        self.on_disconnect = on_disconnect
        """Called after every connection (or pass) that delivered frames ends: a disconnect
        breaks the scene's continuity, so the caller can end its tracks there."""
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
        # A file read faster than real time runs on its own (stream) clock: anchoring it to the
        # server's clock would freeze its timestamps until the server caught up.
        self.clock = StreamClock(server_clock=not is_file(url) or self.options.pace_files)

    def now_s(self) -> float:
        return time.monotonic() - self._start_mono

    def frames(self) -> Iterator[Frame]:
        backoff = self.options.backoff_initial_s
        while not self.stop.is_set():
            delivered = False
            attempt_mono = time.monotonic()
            self.monitor.touch()  # a new attempt is progress: backing off is not hanging
            try:
                for frame in self._connection():
                    delivered = True
                    yield frame
                if self.stop.is_set():
                    return
                self.monitor.report("offline", "stream ended")
            except (av.error.FFmpegError, OSError) as error:
                # FFmpeg reports an open that hit its timeout as "invalid data"; what it means is
                # that something accepted the connection and then said nothing.
                waited_s = time.monotonic() - attempt_mono
                timed_out = not delivered and waited_s >= 0.9 * self.options.open_timeout_s
                self.monitor.report(
                    classify_error(error, timed_out), f"{type(error).__name__}: {error}"
                )
            if delivered and self.on_disconnect is not None:
                self.on_disconnect()
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
            # One decoding thread: a camera worker shares the cores with many others, and frame
            # threads would add a frame of latency per thread and their own overhead.
            stream.codec_context.thread_count = 1
            if options.keyframes_only:
                stream.codec_context.skip_frame = "NONKEY"
            sampler = FrameSampler(self.fps)
            # MJPEG over HTTP has no timestamps: FFmpeg numbers its frames at an assumed 25 fps
            # whatever the camera sends, so arrival time is the only honest clock.
            by_arrival = container.format.name in ARRIVAL_TIME_FORMATS
            time_base = float(stream.time_base) if stream.time_base else 1 / 90000
            rate = stream.average_rate or stream.guessed_rate
            self.clock.period_s = 1 / float(rate) if rate else 0.04
            self.clock.new_pass()
            pace = is_file(self.url) and options.pace_files
            while True:  # one pass of a file, or the whole life of a live connection
                for packet in self._packets(container, stream):
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
                        if frame.is_corrupt:  # FFmpeg concealed damage: usable, but counted
                            self.decode_errors += 1
                        self.monitor.frame()
                        pts = frame.pts if frame.pts is not None else packet.dts
                        pts_s = None if pts is None else pts * time_base
                        if pts_s is None and not by_arrival and not self.clock.timed:
                            # The first RTSP frame(s) of a session carry no timestamp. Stamping
                            # them would need a guessed frame rate, and FFmpeg's guess varies with
                            # how the stream was probed, shifting which frames the sampler keeps:
                            # analysis starts at the first frame with a real timestamp instead.
                            continue
                        timestamp_s = (
                            self.clock.arrival(self.now_s())
                            if by_arrival
                            else self.clock.stamp(pts_s, self.now_s())
                        )
                        ahead_s = timestamp_s - self.now_s()
                        if pace and ahead_s > 0 and self.stop.wait(ahead_s):
                            return
                        if not sampler.keep(timestamp_s):
                            continue
                        yield Frame(
                            image=self._pixels(frame),
                            timestamp_s=timestamp_s,
                            index=self.frames_decoded - 1,
                            camera_id=self.camera_id,
                        )
                    if is_file(self.url) and packet.pts is not None:
                        self.clock.packet_end((packet.pts + (packet.duration or 0)) * time_base)
                if not (is_file(self.url) and options.loop_files):
                    return
                container.seek(0)
                self.clock.new_pass()

    def _packets(self, container: Any, stream: Any) -> Iterator[Any]:
        """Demux `stream`; a read that lasted the read timeout ends the connection (TimeoutError).

        When PyAV interrupts a hung read at the read timeout, libavformat flushes its parser
        instead of failing: the half-received frame comes out as a packet (it would decode and
        make a hung camera look live again) and only the next read fails, a timeout later.
        """
        packets = container.demux(stream)
        live = not is_file(self.url)
        while True:
            started = time.monotonic()
            packet = next(packets, None)
            if packet is None:
                return
            waited_s = time.monotonic() - started
            if live and waited_s >= self.options.read_timeout_s:
                raise TimeoutError(f"no data for {waited_s:.1f} s (read timeout)")
            yield packet

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
