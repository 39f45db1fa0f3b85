"""Standby cameras: registered but above the analysis cap (or disabled), so not analysed.

A light thread probes each one for half a second every `health_check_interval_s` and reports its
state to the supervisor over the same queue the workers use, so the supervisor stays the one
writer of health.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from citywatch.errors import SourceError
from citywatch.ingest.probe import probe_stream
from citywatch.ingest.stream import StreamOptions
from citywatch.ingest.urls import redact_text
from citywatch.runtime.messages import HealthChanged
from citywatch.types import CameraHealth

PROBE_S = 0.5


class StandbyProber:
    def __init__(
        self, cameras: list[tuple[str, str]], options: StreamOptions, interval_s: float, queue: Any
    ) -> None:
        """`cameras`: (id, URL with credentials) pairs, read by the caller's thread (the SQLite
        connection belongs to it)."""
        self.camera_ids = frozenset(camera_id for camera_id, _ in cameras)
        self._cameras = cameras
        self._options = options
        self._interval_s = interval_s
        self._queue = queue
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="standby-prober", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Ask the thread to end; a probe under way finishes within its own timeouts."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            for camera_id, url in self._cameras:
                if self._stop.is_set():
                    return
                state, error = "live", ""
                try:
                    probe_stream(url, seconds=PROBE_S, options=self._options)
                except SourceError as failure:
                    state, error = failure.state, redact_text(str(failure))
                now = datetime.now(UTC)
                self._queue.put(
                    HealthChanged(
                        CameraHealth(
                            camera_id,
                            state,
                            now,
                            last_frame_at=now if state == "live" else None,
                            last_error=error,
                            analysed=False,
                        )
                    )
                )
            self._stop.wait(self._interval_s)
