"""Vetting uploaded bytes before any decode: formats sniffed from content, header-only pixel limits,
and ZIP archives that cannot escape, bomb or flood us."""

from __future__ import annotations

import io
import os
import struct
import warnings
import zipfile
import zlib
from collections.abc import Iterable

import numpy as np
import pytest
from PIL import Image as PILImage

from citywatch.errors import ImageError, InputError
from citywatch.ingest import uploads
from citywatch.ingest.image import decode_image
from citywatch.ingest.uploads import ZipUpload, read_zip, sniff_image
from citywatch.types import ImportItem, UploadedPhoto


def picture(kind: str, width: int = 64, height: int = 48) -> bytes:
    """Real encoded bytes of a noisy picture, made by Pillow."""
    pixels = np.random.default_rng(width * height).integers(0, 256, (height, width, 3), np.uint8)
    buffer = io.BytesIO()
    PILImage.fromarray(pixels).save(buffer, kind)
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims `width` x `height` pixels, with no pixel data at all."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def zipped(members: Iterable[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns of duplicate names
        with zipfile.ZipFile(buffer, "w", method) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return buffer.getvalue()


def refusals(archive: ZipUpload) -> dict[str, str]:
    return {entry.member: entry.reason for entry in archive.entries if entry.reason}


# -- photos -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "name", "expected"),
    [
        ("JPEG", "portrait.jpg", "JPEG"),
        ("PNG", "portrait.png", "PNG"),
        ("WEBP", "portrait.webp", "WebP"),
        ("BMP", "portrait.bmp", "BMP"),
        ("PNG", "really-a-png.jpg", "PNG"),  # the content decides, not the name
        ("JPEG", "no-extension", "JPEG"),
    ],
)
def test_photo_format_is_read_from_the_content(kind: str, name: str, expected: str) -> None:
    assert sniff_image(picture(kind), name) == expected


@pytest.mark.parametrize(
    ("content", "looks_like"),
    [
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nendobj\n", "a PDF document"),
        (b"<!DOCTYPE html><html><body>portal error</body></html>", "HTML or XML text"),
        (b"Jane Doe, born 1990\n", "plain text"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "a GIF image"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "a HEIC/HEIF photo"),
        (bytes(range(256)) * 4, "unrecognised binary data"),
    ],
)
def test_anything_but_a_photo_is_refused_whatever_its_name(content: bytes, looks_like: str) -> None:
    with pytest.raises(ImageError) as caught:
        sniff_image(content, "suspect.jpg")

    message = str(caught.value)
    assert message.startswith("suspect.jpg: not an image file")
    assert looks_like in message
    assert "expected a JPEG, PNG, WebP or BMP photo" in message


def test_an_empty_photo_is_refused_by_name() -> None:
    with pytest.raises(ImageError, match="empty.jpg: the file is empty"):
        sniff_image(b"", "empty.jpg")


def test_a_jpeg_cut_inside_its_header_is_refused_as_truncated() -> None:
    data = picture("JPEG", 400, 300)

    with pytest.raises(ImageError, match="cut.jpg: the JPEG header is damaged or truncated"):
        sniff_image(data[:300], "cut.jpg")


def test_a_jpeg_cut_inside_its_pixels_passes_the_sniff_and_the_decoder_refuses_it() -> None:
    data = picture("JPEG", 400, 300)
    cut = data[: len(data) // 2]

    assert sniff_image(cut, "half.jpg") == "JPEG"
    with pytest.raises(ImageError, match="half.jpg: the image is damaged or truncated"):
        decode_image(cut, "half.jpg")


def test_a_png_claiming_60000_by_60000_pixels_is_refused_from_its_header() -> None:
    bomb = png_claiming(60000, 60000)
    assert len(bomb) < 100  # nothing to decode: the refusal can only come from the header

    with pytest.raises(ImageError) as caught:
        sniff_image(bomb, "bomb.png")

    assert "bomb.png: 60000x60000 pixels is too large" in str(caught.value)
    assert "at most 50 megapixels" in str(caught.value)


def test_a_photo_at_the_pixel_limit_passes_and_one_pixel_row_more_is_refused() -> None:
    assert sniff_image(png_claiming(10_000, 5_000), "edge.png") == "PNG"
    with pytest.raises(ImageError, match="10000x5001 pixels is too large"):
        sniff_image(png_claiming(10_000, 5_001), "over.png")


def test_a_photo_over_the_byte_limit_is_refused_naming_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(uploads, "MAX_PHOTO_BYTES", 2 * uploads.MIB)
    data = picture("BMP", 1024, 1024)  # 3 MiB of pixels

    with pytest.raises(ImageError) as caught:
        sniff_image(data, "huge.bmp")

    assert "huge.bmp: 3.0 MiB is too large; expected a photo of at most 2 MiB" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.jpg", "a.jpg"),
        ("line\nbreak.jpg", "line?break.jpg"),
        ("", "photo 1"),
        (None, "photo 1"),
        ("x" * 300, "x" * 200),
    ],
)
def test_senders_names_are_made_safe_for_messages(name: str | None, expected: str) -> None:
    assert uploads.safe_name(name, "photo 1") == expected


# -- archives ---------------------------------------------------------------------------------
def test_a_zip_is_read_member_by_member_in_order() -> None:
    jpeg, png = picture("JPEG"), picture("PNG")
    data = zipped([("Jane Doe/1.jpg", jpeg), ("Jane Doe/2.png", png)])

    assert list(read_zip(data, "people.zip")) == [
        UploadedPhoto("Jane Doe/1.jpg", jpeg),
        UploadedPhoto("Jane Doe/2.png", png),
    ]


@pytest.mark.parametrize(
    "evil",
    ["../escape.jpg", "Jane/../../escape.jpg", "/etc/cron.d/escape", "C:/Windows/escape.jpg"],
)
def test_members_that_leave_the_archive_are_refused_one_by_one(evil: str) -> None:
    good = picture("JPEG")
    data = zipped([(evil, b"payload"), ("Jane/1.jpg", good)])

    items = list(read_zip(data, "evil.zip"))

    assert items[1] == UploadedPhoto("Jane/1.jpg", good)
    refused = items[0]
    assert isinstance(refused, ImportItem)
    assert refused.member == evil
    assert "leaves the archive" in refused.reason


def test_backslash_paths_are_read_as_folders() -> None:
    data = zipped([("Jane\\1.jpg", b"x"), ("Jane\\..\\..\\evil.jpg", b"y")])

    archive = ZipUpload(data, "windows.zip")

    assert archive.members == ("Jane/1.jpg",)
    assert "leaves the archive" in refusals(archive)["Jane\\..\\..\\evil.jpg"]


def test_folders_macos_forks_and_hidden_files_are_skipped() -> None:
    data = zipped(
        [
            ("Jane/", b""),
            ("Jane/1.jpg", b"photo"),
            ("__MACOSX/Jane/._1.jpg", b"fork"),
            ("Jane/.DS_Store", b"finder"),
            (".hidden/2.jpg", b"hidden"),
        ]
    )

    archive = ZipUpload(data, "mac.zip")

    assert [entry.member for entry in archive.entries] == ["Jane/1.jpg"]


def test_a_zip_bomb_of_zeros_is_refused_before_anything_is_read() -> None:
    data = zipped([("Jane/1.bmp", bytes(20 * uploads.MIB))])
    assert len(data) < uploads.MIB

    with pytest.raises(InputError) as caught:
        ZipUpload(data, "bomb.zip")

    assert "bomb.zip:" in str(caught.value)
    assert "decompression bomb" in str(caught.value)


def test_one_bomb_member_among_photos_is_refused_and_not_read() -> None:
    photo = os.urandom(200_000)  # incompressible, like a photo
    data = zipped([("Jane/1.jpg", photo), ("Jane/2.bmp", bytes(4 * uploads.MIB))])

    archive = ZipUpload(data, "mixed.zip")

    assert archive.members == ("Jane/1.jpg",)
    assert "decompression bomb" in refusals(archive)["Jane/2.bmp"]
    assert archive.read("Jane/1.jpg") == photo
    assert archive.read_bytes == len(photo)


def test_an_archive_that_expands_past_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uploads, "MAX_ARCHIVE_UNCOMPRESSED_BYTES", uploads.MIB)
    members = [(f"P/{i}.jpg", os.urandom(400_000)) for i in range(3)]
    data = zipped(members, zipfile.ZIP_STORED)

    with pytest.raises(InputError, match="expected at most 1 MiB uncompressed"):
        ZipUpload(data, "big.zip")


def test_too_many_members_are_refused_before_the_archive_is_indexed() -> None:
    data = zipped((f"P/{i}.jpg", b"x") for i in range(uploads.MAX_ARCHIVE_MEMBERS + 1))

    with pytest.raises(InputError) as caught:
        ZipUpload(data, "flood.zip")

    assert f"flood.zip: more than {uploads.MAX_ARCHIVE_MEMBERS} members" in str(caught.value)


def test_a_member_whose_header_understates_its_size_is_refused() -> None:
    data = bytearray(zipped([("Jane/1.jpg", os.urandom(5000))], zipfile.ZIP_STORED))
    central = data.index(b"PK\x01\x02")
    data[central + 24 : central + 28] = struct.pack("<I", 100)  # claims 100 bytes, holds 5000

    archive = ZipUpload(bytes(data), "forged.zip")

    with pytest.raises(InputError, match="Jane/1.jpg: cannot be read from forged.zip"):
        archive.read("Jane/1.jpg")
    assert archive.read_bytes == 0


def test_encrypted_and_duplicated_members_are_refused_with_their_reason() -> None:
    data = bytearray(zipped([("Jane/1.jpg", b"a"), ("Jane/2.jpg", b"b"), ("Jane/2.jpg", b"c")]))
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 0x1  # the first member's "encrypted" flag

    archive = ZipUpload(bytes(data), "locked.zip")

    reasons = [entry.reason for entry in archive.entries]
    assert "is encrypted" in reasons[0]
    assert reasons[1] == ""
    assert "appears twice" in reasons[2]


def test_a_member_over_the_photo_limit_is_refused_without_reading_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(uploads, "MAX_PHOTO_BYTES", 100_000)
    data = zipped([("Jane/1.jpg", os.urandom(150_000))])

    archive = ZipUpload(data, "large.zip")

    assert "expected a member of at most" in refusals(archive)["Jane/1.jpg"]
    assert archive.members == ()


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        (b"PK\x03\x04" + os.urandom(200), "corrupt.zip: not a readable ZIP archive"),
        (b"%PDF-1.7 a document", "corrupt.zip: not a ZIP archive (the content is a PDF document)"),
        (b"", "corrupt.zip: not a ZIP archive (the content is empty)"),
    ],
)
def test_anything_but_a_readable_zip_is_refused_by_name(content: bytes, phrase: str) -> None:
    with pytest.raises(InputError) as caught:
        ZipUpload(content, "corrupt.zip")

    assert phrase in str(caught.value)
    assert "expected a ZIP archive" in str(caught.value)


def test_a_bare_csv_is_told_that_a_csv_cannot_carry_photos() -> None:
    with pytest.raises(InputError) as caught:
        ZipUpload(b"person,photo\nJane Doe,jane.jpg\n", "people.csv")

    assert "people.csv: a CSV file alone cannot carry photos" in str(caught.value)
    assert "ZIP archive" in str(caught.value)
