"""Unit fixtures: tiny synthetic H.264 clips made once per session (no `../shared/data`)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest

MakeClip = Callable[..., Path]


def write_clip(path: Path, width: int, height: int, fps: int, seconds: float) -> Path:
    """An H.264 mp4 of moving gradients with a noisy corner, keyframe every second."""
    rng = np.random.default_rng(width * height + fps)
    base = np.add.outer(np.arange(height), np.arange(width))
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "g": str(fps)}
        for index in range(round(fps * seconds)):
            pixels = np.stack([base + 4 * index, 2 * base, base + 7 * index], axis=-1) % 256
            image = pixels.astype(np.uint8)
            image[:16, :16] = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture(scope="session")
def make_clip(tmp_path_factory: pytest.TempPathFactory) -> MakeClip:
    """`make_clip(width, height, fps, seconds=2.0)`: the path of a cached synthetic clip."""
    folder = tmp_path_factory.mktemp("clips")
    made: dict[tuple[int, int, int, float], Path] = {}

    def make(width: int, height: int, fps: int, seconds: float = 2.0) -> Path:
        key = (width, height, fps, seconds)
        if key not in made:
            name = f"clip-{width}x{height}-{fps}fps-{seconds}s.mp4"
            made[key] = write_clip(folder / name, width, height, fps, seconds)
        return made[key]

    return make


@pytest.fixture
def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
