"""Login throttling: failed logins counted per client address and per user name.

Only failures count. A control room behind one address where a shift of operators signs in at
once must not lock itself out, while guessing passwords, whether many against one name or one
against many names, is stopped after `max_failures` misses in `window_s`. A refused attempt never
reaches the password check, so it also costs the server no scrypt work. The counts live in the
process's memory: a restart forgets them, and each worker process counts for itself.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

MAX_KEYS = 10_000
"""Past this many tracked keys, stale ones are swept so that junk names cannot fill memory."""


class LoginThrottle:
    def __init__(
        self,
        max_failures: int = 5,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after_s(self, address: str, name: str) -> float:
        """Seconds until an attempt from `address` for `name` is allowed again; 0 if it is."""
        now = self._clock()
        waits = [0.0]
        with self._lock:
            for key in _keys(address, name):
                recent = self._recent(key, now)
                if len(recent) >= self.max_failures:
                    # Allowed again once enough of the misses have left the window.
                    waits.append(recent[-self.max_failures] + self.window_s - now)
        return max(waits)

    def record_failure(self, address: str, name: str) -> None:
        now = self._clock()
        with self._lock:
            if len(self._failures) > MAX_KEYS:
                for key in list(self._failures):
                    self._recent(key, now)
            for key in _keys(address, name):
                self._failures.setdefault(key, deque()).append(now)

    def forget_name(self, name: str) -> None:
        """A successful login clears its name's misses (its address keeps them)."""
        with self._lock:
            self._failures.pop(("name", _normal(name)), None)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
        return times


def _normal(name: str) -> str:
    return name.strip().casefold()


def _keys(address: str, name: str) -> tuple[tuple[str, str], tuple[str, str]]:
    return ("address", address), ("name", _normal(name))
