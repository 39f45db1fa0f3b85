"""Sources of frames: `FrameSource.frames() -> Iterator[Frame]`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from citywatch.types import Frame


class FrameSource(Protocol):
    camera_id: str

    def frames(self) -> Iterator[Frame]:
        """Decoded frames, oldest first; only the sampled ones are converted to pixels."""
        ...


IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif"})


def open_source(path: str | Path, camera_id: str | None = None, fps: float = 0) -> FrameSource:
    """A still image becomes a one-frame source, anything else is opened as video by FFmpeg."""
    from citywatch.errors import SourceError

    location = Path(path)
    if not location.exists():
        raise SourceError(f"{path}: no such file; expected a video file or an image")
    if location.is_dir():
        raise SourceError(f"{path}: is a folder; expected a video file or an image")
    if location.stat().st_size == 0:
        raise SourceError(f"{path}: the file is empty; expected a video file or an image")
    camera = camera_id or location.name
    if location.suffix.lower() in IMAGE_SUFFIXES:
        from citywatch.ingest.image import ImageSource

        return ImageSource(location, camera)
    from citywatch.ingest.video import VideoFileSource

    return VideoFileSource(location, camera, fps=fps)


__all__ = ["FrameSource", "open_source"]
