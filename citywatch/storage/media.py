"""Media files and the small encodings rows share: JPEG evidence files, embedding blobs, times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np

from citywatch.errors import StorageError
from citywatch.types import FloatArray, Image


def at_offset(started_at: datetime | None, offset_s: float) -> str | None:
    """Server UTC time of an offset into a live source; None for files (no wall-clock start)."""
    if started_at is None:
        return None
    return (started_at + timedelta(seconds=offset_s)).isoformat(timespec="milliseconds")


def utc_text(at: datetime) -> str:
    """How every stored time is written: UTC, microseconds, so that text order is time order."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def blob(vector: FloatArray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def write_jpeg(path: Path, image: Image) -> None:
    """Write atomically (a temporary file renamed), so no reader sees half a picture."""
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    if not ok:
        raise StorageError(f"cannot encode image for {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(encoded.tobytes())
    temporary.replace(path)
