"""Per-camera health: a small thread-safe state machine fed by the reader and a watchdog thread.

The reader reports frames and errors; the watchdog notices when frames stop arriving while the
reader is blocked inside FFmpeg (the only way to see a stalled camera before the read timeout).
Times are the server's: UTC for display, monotonic for ages, never the camera's clock.
"""

from __future__ import annotations

import errno
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import av

from citywatch.ingest.urls import redact_text
from citywatch.types import CameraHealth

_OFFLINE_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.EPIPE,
    errno.ENOTCONN,
}


def classify_error(error: BaseException, timed_out: bool = False) -> str:
    """The health state an exception from opening or reading a stream implies.

    `timed_out`: the attempt lasted its whole timeout, whatever error FFmpeg then reported.
    """
    if timed_out or isinstance(error, av.error.ExitError | av.error.TimeoutError | TimeoutError):
        return "stalled"  # something answers (or hangs) but delivers nothing in time
    if isinstance(
        error,
        av.error.HTTPClientError
        | av.error.ProtocolNotFoundError
        | av.error.DemuxerNotFoundError
        | av.error.DecoderNotFoundError
        | av.error.InvalidDataError
        | av.error.FileNotFoundError
        | av.error.PermissionError,
    ):
        return "failed"
    code = getattr(error, "errno", None)
    if code in _OFFLINE_ERRNOS or isinstance(error, av.error.EOFError | ConnectionError):
        return "offline"
    text = str(error).lower()
    if "not found" in text or "unauthorized" in text or "forbidden" in text:
        return "failed"
    return "offline"


class HealthMonitor:
    def __init__(
        self,
        camera_id: str,
        on_change: Callable[[CameraHealth], None] | None = None,
        stall_after_s: float = 3.0,
    ) -> None:
        self.camera_id = camera_id
        self.on_change = on_change
        self.stall_after_s = stall_after_s
        self._lock = threading.Lock()
        self._state = "starting"
        self._since = datetime.now(UTC)
        self._error = ""
        self._last_frame_at: datetime | None = None
        self._last_frame_mono: float | None = None
        self._progress_mono = time.monotonic()
        self.frames = 0

    def touch(self) -> None:
        """The reading loop made progress (a packet, a frame, a connection attempt)."""
        self._progress_mono = time.monotonic()

    def progress_age_s(self) -> float:
        return time.monotonic() - self._progress_mono

    @property
    def state(self) -> str:
        return self._state

    def snapshot(self) -> CameraHealth:
        with self._lock:
            return self._snapshot()

    def _snapshot(self) -> CameraHealth:
        return CameraHealth(
            camera_id=self.camera_id,
            state=self._state,
            since=self._since,
            last_frame_at=self._last_frame_at,
            last_error=self._error,
            updated_at=datetime.now(UTC),
        )

    def _set(self, state: str, error: str) -> CameraHealth | None:
        if error:
            self._error = redact_text(error)
        if state == self._state:
            return None
        self._state = state
        self._since = datetime.now(UTC)
        return self._snapshot()

    def _notify(self, changed: CameraHealth | None) -> None:
        if changed is not None and self.on_change is not None:
            self.on_change(changed)

    def frame(self) -> None:
        """A frame arrived."""
        with self._lock:
            self.frames += 1
            self._last_frame_mono = self._progress_mono = time.monotonic()
            self._last_frame_at = datetime.now(UTC)
            if self._state != "live":
                self._error = ""  # live again: an error from before is history, not health
                changed = self._set("live", "")
            else:
                changed = None
        self._notify(changed)

    def report(self, state: str, error: str = "") -> None:
        self.touch()
        with self._lock:
            changed = self._set(state, error)
        self._notify(changed)

    def check_stall(self) -> None:
        """Called periodically: a live camera that sent nothing for `stall_after_s` is stalled."""
        with self._lock:
            changed = None
            if (
                self._state == "live"
                and self._last_frame_mono is not None
                and time.monotonic() - self._last_frame_mono > self.stall_after_s
            ):
                changed = self._set("stalled", f"no frame for more than {self.stall_after_s:g} s")
        self._notify(changed)


class Watchdog(threading.Thread):
    """Checks a monitor every `interval_s` until `stop` is set."""

    def __init__(self, monitor: HealthMonitor, stop: threading.Event, interval_s: float = 0.5):
        super().__init__(name=f"watchdog-{monitor.camera_id}", daemon=True)
        self.monitor = monitor
        self.stop_event = stop
        self.interval_s = interval_s

    def run(self) -> None:
        while not self.stop_event.wait(self.interval_s):
            self.monitor.check_stall()
