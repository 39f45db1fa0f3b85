"""Integration fixtures: the real models on the real data in `../shared/data`, real SQLite homes.

The CLI is driven in-process with click's `CliRunner`, so a command costs model loading but no
interpreter start-up. Video scans are the slow part (a 1080p frame takes ~0.15 s on two cores), so
every scan is made once per module or session and shared by the tests that read it.

`citywatch run` is the exception: it runs as a real child process (`live_runs`), so that the
signals that stop it are real and its workers are real processes.

Every command acts as a user, as in production. Each home starts with the same cast (`CAST`, one
password for all) and one approved, active case (`CASE`) whose scope covers every camera id the
integration tests use, requested by `ops` (admin and officer, so that one user can register
cameras and enrol people) and approved by the supervisor `sam`. The cast is made once per session
through the real services (scrypt hashes, audited) in a template home, and each home starts as a
copy of it: seven scrypt hashes per home would cost more than most of the tests that use them.
The CLI acts as `ops` unless told otherwise: `citywatch.as_user("rita").run(...)`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import queue
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self

import av
import cv2
import numpy as np
import pytest
from click.testing import CliRunner, Result

from citywatch.cli import cli
from citywatch.config import load_settings
from citywatch.detect import FaceDetector, load_detector
from citywatch.embed.quality import frontal_scores
from citywatch.services import build_services
from citywatch.types import CaseScope, Image

from .rtsp import rtsp_servers  # noqa: F401  (the fixture, for every module that starts cameras)

DATA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data"
WALKERS_VIDEO = "video/arcade-walkers-1080p25.mp4"
CROWD_VIDEO = "video/overhead-crowd-720p.avi"
GROUP_PHOTO = "faces/group-6-faces.jpg"
PAUL_RUDD = "faces/people/paul_rudd/1.jpg"
WALKERS_CAMERA = "walkers-later.mp4"
"""The camera id of a scan of the `walkers` fixture's later clip: its file name."""

PASSWORD = "integration-tests-2026"
"""Every user of the cast has this password."""
CAST: dict[str, tuple[str, ...]] = {
    "ada": ("admin",),
    "ops": ("admin", "officer"),
    "sam": ("supervisor",),
    "rita": ("reviewer",),
    "rob": ("reviewer",),
    "aud": ("auditor",),
    "olga": ("officer",),
}
"""The users of every test home and their roles; `ada` is the first admin (bootstrap)."""
DEFAULT_USER = "ops"
"""Who the CLI acts as unless a test says otherwise: registers cameras, owns `CASE`."""
CASE = "TEST-1"
"""An active case (category wanted) of `ops`, approved by `sam`, in every test home."""
CASE_CAMERAS = (
    # `scan` names a camera by its file name unless --camera is given.
    WALKERS_CAMERA,
    "arcade-walkers-1080p25.mp4",
    "overhead-crowd-720p.avi",
    "1.jpg",
    "group-6-faces.jpg",
    "cut.mp4",
    "missing.mp4",
    "notes.txt",
    "snapshot.jpg",
    "empty.mp4",
    "clip[draft][/].mp4",
    "gone.mp4",
    # Live cameras (`camera add ID`) and the RTSP mounts they play.
    "arcade-1",
    "gate",
    "healthy",
    "corrupt",
    "cut-hang",
    "cut-close",
    "silent",
    "refused",
    "reference",
    *(f"cam-{number}" for number in range(8)),
    "walkers",
    "arcade",
    "crowd",
)
"""Every camera id the integration tests use: all inside the scope of `CASE`."""

ENROL_FRAME = 10
"""Frame of the walking video the enrolment crops come from (0.4 s in)."""
LATER_FROM_S = 2.0
"""The scanned clip starts here, so the enrolment frame is not in it."""
LATER_SCAN_FPS = "10"
"""Frames per second to scan the later clip at: Walker A's pass is seen as well as at 25, for less
than half the work."""
MIN_ENROL_FACE_PX = 60.0
"""Faces cropped from the enrolment frame to enrol are at least this tall."""


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not DATA_DIR.is_dir():
        pytest.skip("../shared/data not found: integration tests need the shared test data")
    return DATA_DIR


@pytest.fixture(scope="session")
def detector(data_dir: Path) -> FaceDetector:
    return load_detector()


@pytest.fixture(scope="session")
def lfw(data_dir: Path) -> Path:
    return data_dir / "lfw" / "lfw-deepfunneled"


def lfw_photo(root: Path, name: str, number: int) -> Path:
    return root / name / f"{name}_{number:04d}.jpg"


@dataclass(frozen=True)
class CitywatchCli:
    """The `citywatch` command bound to one home folder, run in-process as one user.

    `user=None` sets no CITYWATCH_USER: the command acts as whoever `citywatch login` saved a
    session for in this home, or as nobody.
    """

    home: Path
    user: str | None = DEFAULT_USER

    def as_user(self, user: str | None) -> CitywatchCli:
        """The same home, acting as `user` (a name of the cast, or None for nobody)."""
        return dataclasses.replace(self, user=user)

    def run(self, *args: str | Path) -> Result:
        acting = (
            {"CITYWATCH_USER": self.user, "CITYWATCH_PASSWORD": PASSWORD}
            if self.user
            else {"CITYWATCH_USER": None, "CITYWATCH_PASSWORD": None}
        )
        result = CliRunner().invoke(cli, ["--home", str(self.home), *map(str, args)], env=acting)
        # A clean exit (0 or sys.exit(n)) or nothing: an escaped exception is a traceback to a user.
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            details = "".join(traceback.format_exception(result.exception))
            pytest.fail(f"citywatch {' '.join(map(str, args))} raised:\n{details}")
        return result

    def json(self, *args: str | Path) -> tuple[Result, list[dict[str, Any]]]:
        """Run a `--json` command; every stdout line must be one JSON object."""
        result = self.run(*args)
        return result, [json.loads(line) for line in result.stdout.splitlines() if line.strip()]

    def db(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.home / "citywatch.db")
        connection.row_factory = sqlite3.Row
        return connection


def make_cast(home: Path) -> None:
    """The users of `CAST` and the active case `CASE`, through the services (audited)."""
    services = build_services(load_settings(home))
    try:
        services.bootstrap("ada", PASSWORD)
        for name, roles in CAST.items():
            if name != "ada":
                services.add_user(name, PASSWORD, roles)
        services.authenticate(DEFAULT_USER, PASSWORD)
        services.create_case(
            CASE,
            "wanted",
            "Integration tests: search order 1/2026",
            CaseScope(camera_ids=frozenset(CASE_CAMERAS)),
            datetime.now(UTC) + timedelta(days=30),
        )
        services.authenticate("sam", PASSWORD)
        services.approve_case(CASE)
    finally:
        services.close()


@pytest.fixture(scope="session")
def cast_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with the cast and the case, made once; every test home starts as a copy."""
    home = tmp_path_factory.mktemp("cast") / "home"
    make_cast(home)
    return home


def new_home(cast_home: Path, home: Path) -> Path:
    """`home`, a copy of the cast's home (the database is closed: no WAL to carry over)."""
    shutil.copytree(cast_home, home)
    return home


@pytest.fixture
def citywatch(tmp_path: Path, data_dir: Path, cast_home: Path) -> CitywatchCli:
    return CitywatchCli(new_home(cast_home, tmp_path / "home"))


@pytest.fixture(scope="session")
def new_cli(
    tmp_path_factory: pytest.TempPathFactory, data_dir: Path, cast_home: Path
) -> Callable[[str], CitywatchCli]:
    """Factory of CLIs, each with its own home, for module-scoped fixtures."""

    def make(name: str) -> CitywatchCli:
        return CitywatchCli(new_home(cast_home, tmp_path_factory.mktemp(name) / "home"))

    return make


def write_jpeg(path: Path, image: Image) -> Path:
    assert cv2.imwrite(str(path), image), f"could not write {path}"
    return path


def gradient(width: int = 640, height: int = 480) -> np.ndarray:
    """A smooth colour gradient with a little noise: a real JPEG with no face in it."""
    y, x = np.mgrid[0:height, 0:width]
    image = np.dstack(
        [x * 255 // (width - 1), y * 255 // (height - 1), (x + y) * 255 // (width + height)]
    )
    noise = np.random.default_rng(0).integers(-12, 13, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class WalkersClip:
    """The walking video split in two: one early frame to enrol from, a later clip to scan."""

    enrol_frame: Image
    later_clip: Path
    later_frames: int
    later_duration_s: float


@pytest.fixture(scope="session")
def walkers(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> WalkersClip:
    """Decode the walking video once: keep frame 10, re-encode the frames from 2.0 s on (H.264)."""
    clip = tmp_path_factory.mktemp("walkers") / "walkers-later.mp4"
    enrol_frame: Image | None = None
    written = 0
    with av.open(str(data_dir / WALKERS_VIDEO)) as source, av.open(str(clip), "w") as target:
        video = source.streams.video[0]
        rate = video.average_rate or 25
        stream = target.add_stream("h264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = video.width, video.height, "yuv420p"
        for index, frame in enumerate(source.decode(video)):
            if index == ENROL_FRAME:
                enrol_frame = frame.to_ndarray(format="bgr24")
            if frame.time is None or frame.time < LATER_FROM_S:
                continue
            picture = av.VideoFrame.from_ndarray(frame.to_ndarray(format="rgb24"), format="rgb24")
            for packet in stream.encode(picture):
                target.mux(packet)
            written += 1
        for packet in stream.encode():
            target.mux(packet)
    assert enrol_frame is not None and written > 25
    return WalkersClip(enrol_frame, clip, written, written / float(rate))


def crop_face(image: Image, box: np.ndarray, margin: float = 0.6) -> Image:
    """The face in `box` (xyxy) with `margin` x its height added on each side, clipped."""
    x1, y1, x2, y2 = (float(v) for v in box)
    pad = margin * (y2 - y1)
    height, width = image.shape[:2]
    top, bottom = int(max(0, y1 - pad)), int(min(height, y2 + pad))
    left, right = int(max(0, x1 - pad)), int(min(width, x2 + pad))
    return np.ascontiguousarray(image[top:bottom, left:right])


def video_frame(path: Path, index: int) -> Image:
    """Frame `index` (decode order from the start) of a video, as BGR."""
    with av.open(str(path)) as container:
        for number, frame in enumerate(container.decode(video=0)):
            if number == index:
                return np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8)
    raise AssertionError(f"{path} has no frame {index}")


def add_camera(citywatch: CitywatchCli, camera_id: str, url: str, *options: str) -> None:
    """`camera add` (in-process; it probes the URL first), which must succeed."""
    result, lines = citywatch.json("camera", "add", camera_id, url, "--json", *options)
    assert result.exit_code == 0, result.output
    assert lines[-1]["id"] == camera_id


@pytest.fixture(scope="session")
def walker_photo(
    walkers: WalkersClip, detector: FaceDetector, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A photo of "Walker A": the most frontal face of 60 px or more in the enrolment frame."""
    faces = detector.detect(walkers.enrol_frame)
    big = np.flatnonzero(faces.heights_px >= MIN_ENROL_FACE_PX)
    assert big.size, "the enrolment frame should hold a face of 60 px or more"
    chosen = big[int(np.argmax(frontal_scores(faces.landmarks[big])))]
    folder = tmp_path_factory.mktemp("walker-a")
    return write_jpeg(folder / "walker-a.jpg", crop_face(walkers.enrol_frame, faces.boxes[chosen]))


def open_case(
    citywatch: CitywatchCli,
    reference: str,
    *options: str,
    officer: str = "olga",
    approver: str | None = "sam",
) -> dict[str, Any]:
    """`case create REFERENCE` by `officer` (options: category, scope, expiry; defaults: wanted,
    the walkers clip's camera, 7 days), then `case approve` by `approver` (None: a draft)."""
    chosen = list(options)
    defaults = {
        "--category": "wanted",
        "--legal-basis": f"Integration tests: order for {reference}",
        "--camera": WALKERS_CAMERA,
    }
    for option, value in defaults.items():
        if option not in chosen:
            chosen += [option, value]
    if "--expires" not in chosen and "--days" not in chosen:
        chosen += ["--days", "7"]
    result, lines = citywatch.as_user(officer).json("case", "create", reference, *chosen, "--json")
    assert result.exit_code == 0, result.output
    if approver is None:
        return lines[0]
    result, lines = citywatch.as_user(approver).json("case", "approve", reference, "--json")
    assert result.exit_code == 0, result.output
    assert lines[0]["status"] == "active"
    return lines[0]


def count_rows(citywatch: CitywatchCli, table: str, where: str = "1", *args: object) -> int:
    """Rows of `table` in the home's database (matching `where`)."""
    with contextlib.closing(citywatch.db()) as db:
        return int(db.execute(f"SELECT count(*) FROM {table} WHERE {where}", args).fetchone()[0])


def audit_events(citywatch: CitywatchCli) -> list[dict[str, Any]]:
    """Every record of the home's audit log, as auditor `aud` exports them."""
    result, events = citywatch.as_user("aud").json("audit", "export", "--json")
    assert result.exit_code == 0, result.output
    return events


# --- `citywatch run` as a child process -----------------------------------------------------------

CITYWATCH_COMMAND = (
    [str(Path(sys.executable).with_name("citywatch"))]
    if Path(sys.executable).with_name("citywatch").exists()
    else [sys.executable, "-c", "from citywatch.cli import cli; cli()"]
)
STOP_TIMEOUT_S = 60.0
"""`run` asks its workers to flush their tracks and waits for them (30 s at most), then exits."""


def live_environment(user: str = DEFAULT_USER, **settings: object) -> dict[str, str]:
    """This process's environment without any `CITYWATCH_*` variable, plus the given settings
    and the credentials of `user` (`run` needs the admin role)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CITYWATCH_")}
    environment.update({f"CITYWATCH_{k.upper()}": str(v) for k, v in settings.items()})
    environment.update({"CITYWATCH_USER": user, "CITYWATCH_PASSWORD": PASSWORD})
    return environment


class LiveRun:
    """`citywatch --home HOME run --json` in a child process, its JSON lines read as they come.

    The child leads a session (process group) of its own: a signal sent to it reaches it alone, as
    `kill PID` would (its workers are its business), and `kill()` can still take down the whole
    tree, workers included, when a test fails halfway. A thread reads stdout line by line into a
    queue; `wait_for` polls that queue against a deadline. stderr goes to `log_path`.
    """

    def __init__(self, home: Path, environment: Mapping[str, str], log_path: Path) -> None:
        self.home = home
        self.environment = dict(environment)
        self.log_path = log_path
        self.process: subprocess.Popen[str] | None = None
        self.events: list[dict[str, Any]] = []
        self.exit_code: int | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader: threading.Thread | None = None
        self._ended = False

    def start(self, *options: str) -> Self:
        command = [*CITYWATCH_COMMAND, "--home", str(self.home), "run", "--json", *options]
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=log,
                stdin=subprocess.DEVNULL,
                env=self.environment,
                text=True,
                start_new_session=True,
            )
        self._reader = threading.Thread(target=self._read, name="citywatch-run-stdout", daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _take(self, timeout_s: float) -> bool:
        """Move the next line (waiting up to `timeout_s`) into `events`; False if none came."""
        if self._ended:
            return False
        try:
            line = self._lines.get(timeout=max(0.0, timeout_s))
        except queue.Empty:
            return False
        if line is None:
            self._ended = True
            return False
        try:
            self.events.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"citywatch run printed a line that is not JSON: {line!r}\n{self.report()}")
        return True

    def poll(self, timeout_s: float) -> None:
        """Read what has come, waiting up to `timeout_s` for the first line."""
        if self._take(timeout_s):
            while self._take(0.0):
                pass

    def wait_for(
        self,
        what: str,
        predicate: Callable[[dict[str, Any]], bool],
        timeout_s: float,
        since: int = 0,
    ) -> dict[str, Any]:
        """The first event from index `since` on that satisfies `predicate`, waiting if need be."""
        deadline = time.monotonic() + timeout_s
        checked = since
        while True:
            for event in self.events[checked:]:
                if predicate(event):
                    return event
            checked = max(checked, len(self.events))
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (self._ended and self._lines.empty()):
                why = "run ended" if self._ended else f"not within {timeout_s:g} s"
                pytest.fail(f"waited for {what}: {why}\n{self.report()}")
            self._take(min(remaining, 0.5))

    def wait_for_state(
        self, camera: str, states: str | tuple[str, ...], timeout_s: float, since: int = 0
    ) -> dict[str, Any]:
        wanted = (states,) if isinstance(states, str) else states
        return self.wait_for(
            f"camera {camera!r} {' or '.join(wanted)}",
            lambda e: e["event"] == "health" and e["camera"] == camera and e["state"] in wanted,
            timeout_s,
            since,
        )

    def health(self, camera: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == "health" and e["camera"] == camera]

    def states(self, camera: str) -> list[str]:
        return [e["state"] for e in self.health(camera)]

    @property
    def summary(self) -> dict[str, Any]:
        assert self.events and self.events[-1]["event"] == "summary", self.report()
        return self.events[-1]

    def stop(self, signal_number: int = signal.SIGTERM, timeout_s: float = STOP_TIMEOUT_S) -> int:
        """Send the signal to `run` (only), wait for it to exit, read the rest; the exit code."""
        assert self.process is not None
        self.process.send_signal(signal_number)
        try:
            self.exit_code = self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"citywatch run ignored signal {signal_number} for {timeout_s:g} s")
        assert self._reader is not None
        self._reader.join(10)
        while self._take(0.0):
            pass
        return self.exit_code

    def kill(self) -> None:
        """SIGKILL to the whole process group: `run` and every worker still alive."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):  # the group is gone: nothing left
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def leftovers(self, timeout_s: float = 10.0) -> bool:
        """Whether any process of the run's group (a worker) is still alive after `timeout_s`."""
        assert self.process is not None
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return False
            if time.monotonic() > deadline:
                return True
            time.sleep(0.1)

    def log(self) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-30:])

    def report(self) -> str:
        """The last events and log lines, for failure messages."""
        events = "\n".join(json.dumps(e) for e in self.events[-25:])
        return f"--- last events ---\n{events}\n--- {self.log_path} (last lines) ---\n{self.log()}"


LiveRunFactory = Callable[..., LiveRun]


@pytest.fixture
def live_runs(tmp_path: Path) -> Iterator[LiveRunFactory]:
    """Start `citywatch run --json`: `live_runs(home, *options, **settings)`; settings become
    `CITYWATCH_*` variables, and `user=NAME` (default `ops`) is who runs it. Whatever is still
    running at teardown is killed, workers included."""
    runs: list[LiveRun] = []

    def start(home: Path, *options: str, **settings: object) -> LiveRun:
        log_path = tmp_path / f"citywatch-run-{len(runs)}.log"
        run = LiveRun(home, live_environment(**settings), log_path)
        runs.append(run)
        return run.start(*options)

    yield start
    for run in runs:
        run.kill()
