"""`citywatch serve` as a user runs it: one child process serving the web UI and the API and
analysing cameras, a camera added over the API while it runs, an alert that comes of it, and a
clean stop on SIGTERM. Bad starts (nobody logged in, a busy port) fail before anything starts."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from citywatch.detect import FaceDetector

from .conftest import (
    CASE,
    CITYWATCH_COMMAND,
    ENROL_FRAME,
    PASSWORD,
    WALKERS_VIDEO,
    CitywatchCli,
    add_camera,
    live_environment,
    video_frame,
)
from .test_live_cameras import GAP_S, enrol_walker, with_gap

pytestmark = pytest.mark.slow

START_TIMEOUT_S = 60.0
ALERT_TIMEOUT_S = 90.0
"""Serve start-up, then the camera registry's next look (5 s), a worker's start and the first
pass of the walking clip, on a busy machine."""
STOP_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served:
    def __init__(self, home: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("w") as stderr:
            self.process = subprocess.Popen(
                [*CITYWATCH_COMMAND, "--home", str(home), "serve", "--port", str(self.port)],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                stdin=subprocess.DEVNULL,
                env=live_environment("ops"),
                start_new_session=True,
            )

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"serve exited with {self.process.returncode}:\n{self.output()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/api/openapi.json", timeout=2).status_code == 200:
                    return
            time.sleep(0.25)  # polling a server that gives no other sign of being up
        pytest.fail(f"serve did not answer within {START_TIMEOUT_S:g} s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def client(self, name: str) -> httpx.Client:
        client = httpx.Client(base_url=f"{self.url}/api", timeout=30)
        response = client.post("/auth/login", json={"name": name, "password": PASSWORD})
        assert response.status_code == 200, response.text
        client.headers["Authorization"] = f"Bearer {response.json()['token']}"
        return client


@pytest.fixture
def served_later(citywatch: CitywatchCli, tmp_path: Path) -> Iterator[Any]:
    """`served_later()` starts serve (once the test has set up the home); killed at teardown,
    with its process group."""
    servers: list[Served] = []

    def start() -> Served:
        servers.append(Served(citywatch.home, tmp_path / f"serve-{len(servers)}.log"))
        return servers[-1]

    yield start
    for server in servers:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)


@pytest.fixture
def served(served_later: Any) -> Served:
    return served_later()


def worker_pids(pid: int) -> list[int]:
    """Worker processes (multiprocessing spawns) the process `pid` has right now."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
            if ppid == pid and b"spawn_main" in command:
                found.append(int(entry.name))
    return found


def camera_workers(pid: int) -> int:
    return len(worker_pids(pid))


def running(pid: int) -> bool:
    """Whether `pid` is alive (a zombie, ended but not yet reaped, is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def poll(what: str, check: Any, timeout_s: float, served: Served) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)  # the server offers SSE, but polling keeps this test's failure simple
    pytest.fail(f"waited {timeout_s:g} s for {what}:\n{served.output()}")


def test_a_camera_added_while_serving_is_analysed_and_its_alert_is_served(
    citywatch: CitywatchCli,
    served: Served,
    detector: FaceDetector,
    data_dir: Path,
    lfw: Path,
    tmp_path: Path,
) -> None:
    clip = data_dir / WALKERS_VIDEO
    enrol_walker(citywatch, detector, video_frame(clip, ENROL_FRAME), tmp_path, lfw)
    passes = with_gap(clip, tmp_path / "walkers-with-gap.mp4", GAP_S)
    served.wait_until_up()
    assert "analysing 0 camera(s)" in served.output()

    with contextlib.closing(served.client("ops")) as admin:
        added = admin.post("/cameras", json={"id": "arcade-1", "url": str(passes)})
        assert added.status_code == 201, added.text

        def camera_live() -> bool:
            cameras = admin.get("/cameras").json()["data"]
            return any(
                c["id"] == "arcade-1" and (c["health"] or {}).get("state") == "live"
                for c in cameras
            )

        poll("camera arcade-1 live", camera_live, ALERT_TIMEOUT_S, served)

    with contextlib.closing(served.client("ops")) as officer:
        alerts = poll(
            "an alert for Walker A",
            lambda: officer.get("/alerts").json()["data"],
            ALERT_TIMEOUT_S,
            served,
        )
    assert {a["person"] for a in alerts} == {"Walker A"}
    assert {a["camera"] for a in alerts} == {"arcade-1"}
    assert {a["case"] for a in alerts} == {CASE}
    assert "ALERT" in served.output() and "Walker A" in served.output()
    assert camera_workers(served.process.pid) == 1

    with contextlib.closing(served.client("ops")) as admin:
        assert admin.delete("/cameras/arcade-1").status_code == 200
    poll(
        "the removed camera's worker to end",
        lambda: not camera_workers(served.process.pid),
        ALERT_TIMEOUT_S,
        served,
    )

    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=STOP_TIMEOUT_S) == 0, served.output()
    assert "stopped" in served.output()
    with contextlib.closing(citywatch.db()) as db:
        health = db.execute("SELECT state FROM camera_health WHERE camera_id = 'arcade-1'")
        assert health.fetchall() == []  # gone with the camera, not brought back by its worker
        started = db.execute("SELECT actor FROM audit_log WHERE action = 'runtime.start'")
        assert [row[0] for row in started] == ["ops"]


def test_workers_end_by_themselves_when_serve_is_killed(
    citywatch: CitywatchCli, served_later: Any, data_dir: Path
) -> None:
    """SIGKILL gives serve no chance to stop its workers: they notice their parent is gone (the
    heartbeat check, every second) and end, instead of decoding for nobody forever."""
    add_camera(citywatch, "arcade-1", str(data_dir / WALKERS_VIDEO))
    served = served_later()
    served.wait_until_up()
    pids = poll("a camera worker", lambda: worker_pids(served.process.pid), START_TIMEOUT_S, served)
    served.process.send_signal(signal.SIGKILL)
    served.process.wait(timeout=10)
    poll(
        "the orphaned worker to end",
        lambda: not any(running(pid) for pid in pids),
        STOP_TIMEOUT_S,
        served,
    )


def test_serving_cameras_without_a_login_fails_and_says_how(citywatch: CitywatchCli) -> None:
    result = citywatch.as_user(None).run("serve", "--port", str(free_port()))
    assert result.exit_code == 6, result.output
    assert "--no-cameras" in result.output


def test_a_busy_port_is_one_clear_error(citywatch: CitywatchCli) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = citywatch.as_user(None).run("serve", "--no-cameras", "--port", str(port))
    assert result.exit_code != 0
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "in use" in result.output
