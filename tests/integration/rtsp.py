"""Real RTSP cameras for the integration tests, and ports that never answer.

`RtspServer` runs `tests/servers/rtsp_server.py` on the system Python (`/usr/bin/python3`, where
Debian's GStreamer bindings live; our venv cannot import them) and controls it like a camera that
fails: `kill()` (SIGKILL: connections reset), `pause()`/`resume()` (SIGSTOP/SIGCONT: connections
stay open, nothing is sent or answered), `restart()` on the same port. Every client gets the clip
from its first frame, paced in real time, so several cameras playing one clip see exactly what a
single reference camera sees. See the server's docstring for the mount options and fault modes.

    def test_camera_comes_back(rtsp_servers, data_dir):
        server = rtsp_servers({"walkers": Mount(data_dir / WALKERS_VIDEO, loop=True)})
        url = server.url("walkers")  # rtsp://127.0.0.1:PORT/walkers
        server.kill()
        server.restart()

`rtsp_servers` is a pytest fixture defined here: a test module (or `conftest.py`) uses it by
binding it to a module-level name, `rtsp_servers = rtsp.rtsp_servers`. For a module-scoped server,
use `RtspServer` as a context manager in the module's own fixture.
"""

from __future__ import annotations

import functools
import json
import os
import selectors
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal, Protocol, Self

import pytest

SYSTEM_PYTHON = Path("/usr/bin/python3")
SERVER_SCRIPT = Path(__file__).resolve().parents[1] / "servers" / "rtsp_server.py"
APT_PACKAGES = (
    "gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good "
    "gstreamer1.0-plugins-ugly gstreamer1.0-plugins-bad gstreamer1.0-libav python3-gst-1.0 "
    "python3-gi"
)
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Mount:
    """One camera: a clip and how it is served (the server's mount options)."""

    path: Path
    loop: bool = False
    """Replay forever; otherwise the stream ends after one pass."""
    once: bool = False
    """(Not with loop or fast.) Gone once one client's stream reached the clip's end: later clients
    get 404, so a camera plays it exactly once. Clients that leave earlier, such as `camera add`'s
    probe, do not use it up."""
    shared: bool = False
    """One stream for all clients (later ones join mid-clip); default: each from the start."""
    fast: bool = False
    """Send as fast as the client reads instead of at the clip's frame rate."""
    corrupt_every: int = 0
    """Overwrite `garbage_bytes` of every N-th non-key frame with random bytes (0: never)."""
    garbage_bytes: int = 64
    seed: int = 0
    truncate_after_s: float | None = None
    """Stream time after which half a frame is sent, then `after_truncate`."""
    after_truncate: Literal["hang", "eos", "close"] = "hang"
    """`hang`: send nothing, keep the session; `eos`: end the stream; `close`: drop the TCP."""

    def options(self) -> dict[str, object]:
        options: dict[str, object] = {"path": str(self.path), "loop": self.loop, "once": self.once}
        options |= {"shared": self.shared, "fast": self.fast, "seed": self.seed}
        options |= {"corrupt": self.corrupt_every, "garbage": self.garbage_bytes}
        if self.truncate_after_s is not None:
            options |= {"truncate": self.truncate_after_s, "after": self.after_truncate}
        return options


@functools.cache
def missing_gst_rtsp_server() -> str | None:
    """Why the RTSP server cannot run here, or None when it can."""
    reason = (
        "GStreamer RTSP server not installed: run `make system-deps` "
        f"(Debian packages {APT_PACKAGES})"
    )
    if not SYSTEM_PYTHON.exists():
        return f"{reason}; {SYSTEM_PYTHON} is missing"
    check = subprocess.run(
        [SYSTEM_PYTHON, SERVER_SCRIPT, "--check"], capture_output=True, text=True, timeout=60
    )
    if check.returncode != 0:
        details = check.stderr.strip().splitlines()
        return f"{reason}; {details[-1] if details else f'exit {check.returncode}'}"
    return None


def require_gst_rtsp_server() -> None:
    reason = missing_gst_rtsp_server()
    if reason is not None:
        pytest.skip(reason)


class RtspServer:
    """The test RTSP server as a child process on 127.0.0.1; its log goes to `workdir`."""

    def __init__(self, mounts: Mapping[str, Mount], workdir: Path, port: int = 0) -> None:
        self.mounts = dict(mounts)
        self.workdir = workdir
        self.port = port
        """0 until the first start picks a free port; every restart reuses it."""
        self.process: subprocess.Popen[bytes] | None = None
        self.config_path = workdir / "rtsp-server.json"
        self.log_path = workdir / "rtsp-server.log"

    def url(self, mount: str) -> str:
        if mount not in self.mounts:
            raise KeyError(f"no mount {mount!r}; mounts: {sorted(self.mounts)}")
        return f"rtsp://127.0.0.1:{self.port}/{mount}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> Self:
        """Start the server and return once it listens (its READY line), or fail with its log."""
        if self.running:
            raise RuntimeError(f"the RTSP server is already running on port {self.port}")
        self.workdir.mkdir(parents=True, exist_ok=True)
        mounts = {name: mount.options() for name, mount in self.mounts.items()}
        self.config_path.write_text(json.dumps({"port": self.port, "mounts": mounts}, indent=2))
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [SYSTEM_PYTHON, SERVER_SCRIPT, "--config", self.config_path, "--stop-on-stdin-eof"],
                stdin=subprocess.PIPE,  # closes when this process dies, and the server follows
                stdout=subprocess.PIPE,
                stderr=log,
            )
        line = self._read_line(READY_TIMEOUT_S)
        if not line.startswith("READY rtsp://127.0.0.1:"):
            exited = self.process.poll()
            self.kill()
            why = f"exit status {exited}" if exited is not None else f"no READY line: {line!r}"
            raise RuntimeError(f"the RTSP server did not start ({why})\n{self.log()}")
        self.port = int(line.rsplit(":", 1)[1])
        return self

    def _read_line(self, timeout_s: float) -> str:
        assert self.process is not None and self.process.stdout is not None
        deadline, data = time.monotonic() + timeout_s, b""
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while b"\n" not in data and selector.select(deadline - time.monotonic()):
                chunk = os.read(self.process.stdout.fileno(), 4096)
                if not chunk:
                    break  # the server exited
                data += chunk
        return data.decode(errors="replace").strip()

    def stop(self) -> int:
        """SIGTERM: the server closes its connections and exits; returns its exit status."""
        if self.process is None:
            return 0
        self.resume()
        self.process.send_signal(signal.SIGTERM)
        try:
            return self._reap(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            raise RuntimeError(f"the RTSP server ignored SIGTERM\n{self.log()}") from None

    def kill(self) -> None:
        """SIGKILL, as a camera losing power: every connection is reset at once."""
        if self.process is not None:
            self.process.kill()
            self._reap(STOP_TIMEOUT_S)

    def pause(self) -> None:
        """SIGSTOP, as a hung camera: connections stay open, nothing is sent or answered."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.running:
            assert self.process is not None
            self.process.send_signal(signal.SIGCONT)

    def restart(self) -> Self:
        """Stop (if still running) and start again on the same port, with the same mounts."""
        if self.running:
            self.stop()
        return self.start()

    def _reap(self, timeout_s: float) -> int:
        assert self.process is not None
        status = self.process.wait(timeout_s)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()
        self.process = None
        return status

    def log(self) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return f"--- {self.log_path} (last lines) ---\n" + "\n".join(text.splitlines()[-30:])

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()


class RtspServerFactory(Protocol):
    def __call__(self, mounts: Mapping[str, Mount], port: int = 0) -> RtspServer: ...


@pytest.fixture
def rtsp_servers(tmp_path: Path) -> Iterator[RtspServerFactory]:
    """Start RTSP servers: `rtsp_servers({"cam": Mount(path)}, port=0)`; all stop at teardown."""
    require_gst_rtsp_server()
    servers: list[RtspServer] = []

    def start(mounts: Mapping[str, Mount], port: int = 0) -> RtspServer:
        server = RtspServer(mounts, tmp_path / f"rtsp-server-{len(servers)}", port)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


class SilentPort:
    """A TCP port on 127.0.0.1 that accepts connections and never says a word: a hung camera.

    The kernel completes the handshake for up to `backlog` connections that nobody accepts, so a
    client connects, sends its request and waits; later ones cannot even connect.
    """

    def __init__(self, backlog: int = 16) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0), backlog=backlog)
        self.port: int = self.socket.getsockname()[1]

    def url(self, path: str = "camera") -> str:
        return f"rtsp://127.0.0.1:{self.port}/{path}"

    def close(self) -> None:
        self.socket.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class RefusingPort(SilentPort):
    """A port on 127.0.0.1 that is held (bound, so nobody else takes it) but refuses connections."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
