"""Still images: decoding with clear errors, EXIF orientation, and a one-frame source."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError

from citywatch.errors import ImageError
from citywatch.types import Frame, Image

MAX_IMAGE_PIXELS = 50_000_000
"""Refuse larger images (a 50 MP photo is bigger than any camera or passport photo needs)."""

MAX_IMAGE_BYTES = 40 * 1024 * 1024


def decode_image(data: bytes, name: str) -> Image:
    """Decode JPEG/PNG/... bytes into BGR pixels, upright per EXIF; `name` is used in errors."""
    if not data:
        raise ImageError(f"{name}: the file is empty; expected a JPEG or PNG photo")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageError(
            f"{name}: {len(data) / 1e6:.0f} MB is too large; expected an image of at most "
            f"{MAX_IMAGE_BYTES // (1024 * 1024)} MB"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            picture = PILImage.open(io.BytesIO(data))
            width, height = picture.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ImageError(
                    f"{name}: {width}x{height} pixels is too large; expected at most "
                    f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels"
                )
            upright = ImageOps.exif_transpose(picture)
            upright.load()
            rgb = np.asarray(upright.convert("RGB"))
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(
            f"{name}: not an image file; expected a JPEG, PNG, BMP or WebP photo"
        ) from None
    except (OSError, ValueError, SyntaxError) as error:
        raise ImageError(
            f"{name}: the image is damaged or truncated ({error}); expected a complete JPEG, "
            "PNG, BMP or WebP photo"
        ) from None
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
        raise ImageError(f"{name}: too many pixels; expected at most 50 megapixels") from None
    if rgb.ndim != 3 or min(rgb.shape[:2]) < 8:
        raise ImageError(
            f"{name}: image is {rgb.shape[1]}x{rgb.shape[0]}; too small to hold a face"
        )
    return np.ascontiguousarray(rgb[:, :, ::-1])


def read_image(path: str | Path) -> Image:
    location = Path(path)
    try:
        data = location.read_bytes()
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file; expected a photo") from None
    except IsADirectoryError:
        raise ImageError(f"{path}: is a folder; expected a photo") from None
    except OSError as error:
        raise ImageError(f"{path}: cannot be read ({error.strerror})") from None
    return decode_image(data, str(path))


class ImageSource:
    """A still image as a source of exactly one frame at time 0."""

    def __init__(self, path: Path, camera_id: str) -> None:
        self.path = path
        self.camera_id = camera_id

    def frames(self) -> Iterator[Frame]:
        yield Frame(image=read_image(self.path), timestamp_s=0.0, index=0, camera_id=self.camera_id)
