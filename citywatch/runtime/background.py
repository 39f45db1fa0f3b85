"""The camera runtime on a thread of a serving process (`citywatch serve`).

The supervisor and its store connection live on that thread (an SQLite connection belongs to the
thread that made it), so the services are made there from a factory. `start` returns once the
workers are launched, or raises what stopped them; `stop` hands the workers' open tracks over,
records the cameras offline and returns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from citywatch.runtime.supervisor import Supervisor
from citywatch.types import Alert, Camera, CameraHealth


class BackgroundRuntime:
    def __init__(
        self,
        make_services: Callable[[], Any],
        on_alert: Callable[[Alert], None] = lambda alert: None,
        on_health: Callable[[CameraHealth], None] | None = None,
    ) -> None:
        self._make_services = make_services
        self._on_alert = on_alert
        self._on_health = on_health
        self._stopping = threading.Event()
        self._started = threading.Event()
        self._failure: BaseException | None = None
        self._cameras: tuple[list[Camera], list[Camera]] = ([], [])
        self._thread = threading.Thread(target=self._run, name="camera-runtime", daemon=True)
        self.supervisor: Supervisor | None = None

    def start(self, timeout_s: float = 60.0) -> tuple[list[Camera], list[Camera]]:
        """Launch the workers; returns (analysed, standby) cameras at the start."""
        self._thread.start()
        if not self._started.wait(timeout_s):
            raise TimeoutError(f"the camera runtime did not start within {timeout_s:.0f} s")
        if self._failure is not None:
            raise self._failure
        return self._cameras

    def stop(self, timeout_s: float = 60.0) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout_s)

    def _run(self) -> None:
        services = None
        try:
            services = self._make_services()
            self.supervisor = Supervisor(services, self._on_alert, self._on_health)
            self._cameras = self.supervisor.start()
        except BaseException as error:  # handed to the thread that called start()
            self._failure = error
            self._started.set()
            if services is not None:
                services.close()
            return
        self._started.set()
        try:
            self.supervisor.run(self._stopping.is_set)
        finally:
            services.close()
