"""The web upload form reads each photo with the API's size limit: an oversized photo becomes a
rejection in the per-photo results (the others still go on), never a failed page."""

from __future__ import annotations

import io

import pytest
from fastapi import UploadFile

from citywatch.types import PhotoEnrollment, UploadedPhoto
from citywatch.web import watchlists


def upload(name: str, size: int) -> UploadFile:
    return UploadFile(io.BytesIO(b"x" * size), filename=name)


def test_a_photo_within_the_limit_is_read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watchlists, "MAX_PHOTO_BYTES", 3 * 1024 * 1024)
    read = watchlists.read_photo(upload("face.jpg", 2_500_000), 1)
    assert read == UploadedPhoto("face.jpg", b"x" * 2_500_000)


def test_an_oversized_photo_is_a_rejection_naming_it_and_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(watchlists, "MAX_PHOTO_BYTES", 2 * 1024 * 1024)
    read = watchlists.read_photo(upload("huge.jpg", 3 * 1024 * 1024), 1)
    assert isinstance(read, PhotoEnrollment)
    assert read.status == "rejected"
    assert read.reason == (
        "photo 'huge.jpg' is too large; expected at most 2 MiB (nothing was stored)"
    )
