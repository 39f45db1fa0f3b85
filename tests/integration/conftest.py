"""Integration fixtures: the real models on the real data in `../shared/data`, real SQLite homes.

The CLI is driven in-process with click's `CliRunner`, so a command costs model loading but no
interpreter start-up. Video scans are the slow part (a 1080p frame takes ~0.15 s on two cores), so
every scan is made once per module or session and shared by the tests that read it.
"""

from __future__ import annotations

import json
import sqlite3
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import pytest
from click.testing import CliRunner, Result

from citywatch.cli import cli
from citywatch.detect import FaceDetector, load_detector
from citywatch.types import Image

DATA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data"
WALKERS_VIDEO = "video/arcade-walkers-1080p25.mp4"
CROWD_VIDEO = "video/overhead-crowd-720p.avi"
GROUP_PHOTO = "faces/group-6-faces.jpg"
PAUL_RUDD = "faces/people/paul_rudd/1.jpg"

ENROL_FRAME = 10
"""Frame of the walking video the enrolment crops come from (0.4 s in)."""
LATER_FROM_S = 2.0
"""The scanned clip starts here, so the enrolment frame is not in it."""


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


@dataclass
class CitywatchCli:
    """The `citywatch` command bound to one home folder, run in-process."""

    home: Path

    def run(self, *args: str | Path) -> Result:
        result = CliRunner().invoke(cli, ["--home", str(self.home), *map(str, args)])
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


@pytest.fixture
def citywatch(tmp_path: Path, data_dir: Path) -> CitywatchCli:
    return CitywatchCli(tmp_path / "home")


@pytest.fixture(scope="session")
def new_cli(
    tmp_path_factory: pytest.TempPathFactory, data_dir: Path
) -> Callable[[str], CitywatchCli]:
    """Factory of CLIs, each with its own home, for module-scoped fixtures."""

    def make(name: str) -> CitywatchCli:
        return CitywatchCli(tmp_path_factory.mktemp(name) / "home")

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
