"""Decoding still images: channel order, EXIF orientation, and clear errors for bad files."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image as PILImage

from citywatch.errors import ImageError, InputError
from citywatch.ingest import image as image_module
from citywatch.ingest.image import ImageSource, decode_image, read_image

RED_BGR = (0, 0, 255)


def _encoded(extension: str, image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(extension, image)
    assert ok
    return data.tobytes()


def _red(height: int = 40, width: int = 60) -> np.ndarray:
    picture = np.zeros((height, width, 3), np.uint8)
    picture[:] = RED_BGR
    return picture


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims `width` x `height` pixels but holds no pixel data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


@pytest.mark.parametrize("extension", [".jpg", ".png", ".bmp"])
def test_decoded_image_is_bgr_with_red_in_the_last_channel(extension: str) -> None:
    decoded = decode_image(_encoded(extension, _red()), f"red{extension}")

    assert decoded.shape == (40, 60, 3)
    assert decoded.dtype == np.uint8
    assert decoded.flags["C_CONTIGUOUS"]
    blue, green, red = decoded[20, 30].tolist()
    assert red > 240 and blue < 15 and green < 15


def test_png_decodes_losslessly() -> None:
    rng = np.random.default_rng(0)
    picture = rng.integers(0, 256, (32, 48, 3), dtype=np.uint8)

    np.testing.assert_array_equal(decode_image(_encoded(".png", picture), "noise.png"), picture)


def test_grey_and_transparent_images_become_three_channel_bgr() -> None:
    grey = _encoded(".png", np.full((20, 20), 77, np.uint8))
    rgba = io.BytesIO()
    PILImage.new("RGBA", (20, 20), (255, 0, 0, 128)).save(rgba, format="PNG")

    assert decode_image(grey, "grey.png")[5, 5].tolist() == [77, 77, 77]
    assert decode_image(rgba.getvalue(), "rgba.png")[5, 5].tolist() == [0, 0, 255]


@pytest.mark.parametrize(
    ("orientation", "shape"),
    [(1, (40, 60, 3)), (3, (40, 60, 3)), (6, (60, 40, 3)), (8, (60, 40, 3))],
)
def test_exif_orientation_is_applied(orientation: int, shape: tuple[int, int, int]) -> None:
    # A 60x40 picture, red on its left half; the camera says how to turn it upright.
    picture = PILImage.new("RGB", (60, 40), (0, 0, 255))
    picture.paste((255, 0, 0), (0, 0, 30, 40))
    exif = PILImage.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", exif=exif.tobytes(), quality=95)

    decoded = decode_image(buffer.getvalue(), "phone.jpg")

    assert decoded.shape == shape
    # Where the red half ends up tells the rotation's direction: orientation 6 means the picture
    # must be turned 90 degrees clockwise to be upright, which brings its left side to the top.
    red_at = {1: (20, 5), 3: (20, 55), 6: (5, 20), 8: (55, 20)}[orientation]
    assert decoded[red_at][2] > 200 and decoded[red_at][0] < 60


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"name,age\nJane,34\n", "not an image file"),
        (b"\x00" * 100, "not an image file"),
    ],
    ids=["empty", "text", "zeros"],
)
def test_non_images_are_refused_naming_the_file(data: bytes, message: str) -> None:
    with pytest.raises(ImageError, match=message) as caught:
        decode_image(data, "suspect.jpg")

    assert str(caught.value).startswith("suspect.jpg:")
    assert isinstance(caught.value, InputError)


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_truncated_jpeg_is_refused_as_damaged(keep: float) -> None:
    rng = np.random.default_rng(1)
    data = _encoded(".jpg", rng.integers(0, 256, (200, 200, 3), dtype=np.uint8))

    with pytest.raises(ImageError, match="damaged or truncated") as caught:
        decode_image(data[: int(len(data) * keep)], "cut.jpg")

    assert str(caught.value).startswith("cut.jpg:")


def test_truncated_png_is_refused_as_damaged() -> None:
    rng = np.random.default_rng(2)
    data = _encoded(".png", rng.integers(0, 256, (100, 100, 3), dtype=np.uint8))

    with pytest.raises(ImageError, match="cut.png: the image is damaged"):
        decode_image(data[: len(data) // 2], "cut.png")


def test_image_claiming_too_many_pixels_is_refused_before_decoding() -> None:
    with pytest.raises(ImageError, match=r"huge.png: 8000x8000 pixels is too large"):
        decode_image(_png_header(8000, 8000), "huge.png")


def test_decompression_bomb_is_refused() -> None:
    # Far beyond Pillow's own limit, which refuses it while opening, before our size check.
    with pytest.raises(ImageError, match="bomb.png: too many pixels"):
        decode_image(_png_header(30000, 30000), "bomb.png")


def test_pixel_limit_is_the_module_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _encoded(".png", _red(40, 60))
    monkeypatch.setattr(image_module, "MAX_IMAGE_PIXELS", 2000)

    with pytest.raises(ImageError, match="60x40 pixels is too large"):
        decode_image(data, "small.png")


def test_file_over_the_byte_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _encoded(".png", _red())
    monkeypatch.setattr(image_module, "MAX_IMAGE_BYTES", len(data) - 1)

    with pytest.raises(ImageError, match="big.png: .* MB is too large"):
        decode_image(data, "big.png")


def test_image_too_small_to_hold_a_face_is_refused() -> None:
    with pytest.raises(ImageError, match=r"tiny.png: image is 5x4"):
        decode_image(_encoded(".png", _red(4, 5)), "tiny.png")


def test_read_image_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "red.png"
    path.write_bytes(_encoded(".png", _red()))

    assert read_image(path)[0, 0].tolist() == list(RED_BGR)


def test_read_image_of_a_text_file_renamed_jpg_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("not a photo at all\n", encoding="utf-8")

    with pytest.raises(ImageError, match="not an image file") as caught:
        read_image(path)

    assert str(caught.value).startswith(str(path))


def test_read_image_of_a_missing_file_names_it(tmp_path: Path) -> None:
    path = tmp_path / "absent.jpg"

    with pytest.raises(ImageError, match="no such file") as caught:
        read_image(path)

    assert str(path) in str(caught.value)


def test_read_image_of_a_folder_names_it(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="is a folder") as caught:
        read_image(tmp_path)

    assert str(tmp_path) in str(caught.value)


def test_image_source_yields_one_frame_at_time_zero(tmp_path: Path) -> None:
    path = tmp_path / "still.png"
    path.write_bytes(_encoded(".png", _red()))

    frames = list(ImageSource(path, "still").frames())

    assert len(frames) == 1
    assert (frames[0].timestamp_s, frames[0].index, frames[0].camera_id) == (0.0, 0, "still")
    assert frames[0].image.shape == (40, 60, 3)
