"""Face detection: `FaceDetector.detect(image) -> Faces`."""

from __future__ import annotations

from typing import Protocol

from citywatch.types import Faces, Image


class FaceDetector(Protocol):
    def detect(self, image: Image) -> Faces:
        """Find faces with 5 landmarks, in the image's own pixel coordinates."""
        ...


def load_detector(name: str = "yunet", **options: float) -> FaceDetector:
    """Build a detector by backend name; loads the model now, not at import."""
    if name == "yunet":
        from citywatch.detect.yunet import YuNetDetector

        return YuNetDetector(**options)
    from citywatch.errors import ConfigError

    raise ConfigError(f"unknown detector {name!r}; expected 'yunet'")


__all__ = ["FaceDetector", "load_detector"]
