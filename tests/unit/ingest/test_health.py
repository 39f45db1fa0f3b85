"""Camera health: what each stream error means, and the monitor's state machine."""

from __future__ import annotations

import errno
import threading
from types import SimpleNamespace

import av
import pytest

from citywatch.ingest import health as health_module
from citywatch.ingest.health import HealthMonitor, Watchdog, classify_error
from citywatch.types import CameraHealth


@pytest.mark.parametrize(
    ("error", "state"),
    [
        (av.error.ExitError(-1414092869, "Immediate exit requested"), "stalled"),
        (av.error.TimeoutError(errno.ETIMEDOUT, "Connection timed out"), "stalled"),
        (TimeoutError("read timed out"), "stalled"),
        (av.error.HTTPNotFoundError(-875574520, "Server returned 404 Not Found"), "failed"),
        (av.error.HTTPUnauthorizedError(-825242872, "Server returned 401 Unauthorized"), "failed"),
        (av.error.HTTPForbiddenError(-858797304, "Server returned 403 Forbidden"), "failed"),
        (av.error.ProtocolNotFoundError(-1330794744, "Protocol not found"), "failed"),
        (av.error.FileNotFoundError(errno.ENOENT, "No such file or directory"), "failed"),
        (av.error.PermissionError(errno.EACCES, "Permission denied"), "failed"),
        (av.error.ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), "offline"),
        (av.error.ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"), "offline"),
        (av.error.EOFError(-541478725, "End of file"), "offline"),
        (av.error.OSError(errno.EHOSTUNREACH, "No route to host"), "offline"),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), "offline"),
        (ConnectionResetError(), "offline"),
        (OSError("RTSP 404 Not Found from camera"), "failed"),
        (OSError("401 Unauthorized"), "failed"),
    ],
    ids=lambda value: type(value).__qualname__ if isinstance(value, BaseException) else value,
)
def test_classify_error(error: BaseException, state: str) -> None:
    assert classify_error(error) == state


class Recorder:
    def __init__(self) -> None:
        self.changes: list[CameraHealth] = []
        self.changed = threading.Event()

    def __call__(self, health: CameraHealth) -> None:
        self.changes.append(health)
        self.changed.set()

    @property
    def states(self) -> list[str]:
        return [h.state for h in self.changes]


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def monotonic(self) -> float:
        return self.now_s


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(health_module, "time", SimpleNamespace(monotonic=fake.monotonic))
    return fake


def test_a_new_monitor_is_starting() -> None:
    monitor = HealthMonitor("door-1")

    snapshot = monitor.snapshot()

    assert (snapshot.camera_id, snapshot.state, snapshot.last_frame_at) == (
        "door-1",
        "starting",
        None,
    )
    assert snapshot.since.tzinfo is not None


def test_the_first_frame_makes_it_live_and_later_frames_change_nothing() -> None:
    recorder = Recorder()
    monitor = HealthMonitor("door-1", recorder)

    for _ in range(50):
        monitor.frame()

    assert recorder.states == ["live"]
    assert monitor.frames == 50
    assert recorder.changes[0].last_frame_at is not None
    assert monitor.snapshot().last_frame_at >= recorder.changes[0].last_frame_at  # type: ignore[operator]


def test_each_change_is_reported_once() -> None:
    recorder = Recorder()
    monitor = HealthMonitor("door-1", recorder)

    monitor.report("offline", "Connection refused")
    monitor.report("offline", "Connection refused")
    monitor.frame()
    monitor.frame()
    monitor.report("failed", "401 Unauthorized")
    monitor.report("failed", "401 Unauthorized")

    assert recorder.states == ["offline", "live", "failed"]
    assert recorder.changes[0].last_error == "Connection refused"
    assert recorder.changes[2].last_error == "401 Unauthorized"


def test_a_live_camera_without_frames_for_stall_after_s_is_stalled(clock: FakeClock) -> None:
    recorder = Recorder()
    monitor = HealthMonitor("door-1", recorder, stall_after_s=3.0)
    monitor.frame()

    clock.now_s += 2.9
    monitor.check_stall()
    assert monitor.state == "live"

    clock.now_s += 0.2
    monitor.check_stall()
    monitor.check_stall()

    assert recorder.states == ["live", "stalled"]
    assert recorder.changes[-1].last_error == "no frame for more than 3 s"
    monitor.frame()
    assert recorder.states == ["live", "stalled", "live"]


def test_check_stall_leaves_a_camera_that_never_delivered_alone(clock: FakeClock) -> None:
    monitor = HealthMonitor("door-1", stall_after_s=3.0)
    monitor.report("offline", "Connection refused")

    clock.now_s += 60
    monitor.check_stall()

    assert monitor.state == "offline"


def test_progress_age_counts_from_the_last_sign_of_life(clock: FakeClock) -> None:
    monitor = HealthMonitor("door-1")
    clock.now_s += 5
    assert monitor.progress_age_s() == pytest.approx(5)

    monitor.touch()
    clock.now_s += 1
    assert monitor.progress_age_s() == pytest.approx(1)

    monitor.report("offline", "Connection refused")  # a connection attempt is progress too
    assert monitor.progress_age_s() == 0


def test_the_watchdog_thread_notices_a_stall() -> None:
    recorder = Recorder()
    monitor = HealthMonitor("door-1", recorder, stall_after_s=0.05)
    stop = threading.Event()
    monitor.frame()
    recorder.changed.clear()
    watchdog = Watchdog(monitor, stop, interval_s=0.01)
    watchdog.start()
    try:
        assert recorder.changed.wait(timeout=10), "the watchdog never reported the stall"
    finally:
        stop.set()
        watchdog.join(timeout=10)

    assert recorder.states == ["live", "stalled"]
    assert recorder.changes[-1].last_error == "no frame for more than 0.05 s"
    assert not watchdog.is_alive()


def test_errors_are_redacted_in_snapshots_and_changes() -> None:
    recorder = Recorder()
    monitor = HealthMonitor("door-1", recorder)

    monitor.report(
        "offline", "ConnectionRefusedError: [Errno 111]: 'rtsp://admin:secretpw@10.0.0.7/x'"
    )
    monitor.report("offline", "still refused by http://viewer:secretpw@10.0.0.7/mjpeg")

    assert "secretpw" not in recorder.changes[0].last_error
    assert "rtsp://***@10.0.0.7/x" in recorder.changes[0].last_error
    assert monitor.snapshot().last_error == "still refused by http://***@10.0.0.7/mjpeg"


def test_a_camera_live_again_reports_no_stale_error() -> None:
    changes: list[CameraHealth] = []
    monitor = HealthMonitor("door-1", changes.append)
    monitor.report("offline", "connection refused")
    monitor.frame()

    assert [(c.state, c.last_error) for c in changes] == [
        ("offline", "connection refused"),
        ("live", ""),
    ]
