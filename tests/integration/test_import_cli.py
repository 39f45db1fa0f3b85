"""Bulk import from the command line: `citywatch watchlist import` with a real ZIP of LFW photos
and the real models, then `citywatch watchlist people`; the same services and checks as the
API's upload routes (tests/api/test_uploads.py covers the archive rules in detail)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from .conftest import CASE, CitywatchCli, count_rows, lfw_photo

pytestmark = pytest.mark.slow


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def archive(lfw: Path, tmp_path: Path) -> Path:
    """Two people in a folder each (two photos of one, one of the other) and a text file posing
    as a photo."""
    return make_zip(
        tmp_path / "portal-export.zip",
        {
            "George W Bush/1.jpg": lfw_photo(lfw, "George_W_Bush", 7).read_bytes(),
            "George W Bush/2.jpg": lfw_photo(lfw, "George_W_Bush", 16).read_bytes(),
            "Colin Powell/1.jpg": lfw_photo(lfw, "Colin_Powell", 40).read_bytes(),
            "Colin Powell/notes.jpg": b"call the family before noon",
        },
    )


def test_an_archive_is_imported_with_a_result_per_photo_and_listed(
    citywatch: CitywatchCli, archive: Path
) -> None:
    assert citywatch.run("watchlist", "create", "portal", "--case", CASE).exit_code == 0

    result, lines = citywatch.json("watchlist", "import", "portal", archive, "--json")

    assert result.exit_code == 0, result.output
    photos = {(line["person"], line["photo"]): line for line in lines[:-1]}
    assert {key: line["status"] for key, line in photos.items()} == {
        ("George W Bush", "George W Bush/1.jpg"): "enrolled",
        ("George W Bush", "George W Bush/2.jpg"): "enrolled",
        ("Colin Powell", "Colin Powell/1.jpg"): "enrolled",
        ("Colin Powell", "Colin Powell/notes.jpg"): "rejected",
    }
    assert "not an image file" in photos[("Colin Powell", "Colin Powell/notes.jpg")]["reason"]
    assert lines[-1] == {
        "event": "summary",
        "watchlist": "portal",
        "archive": "portal-export.zip",
        "layout": "folders",
        "people": 2,
        "enrolled": 3,
        "rejected": 1,
    }
    result, listed = citywatch.json("watchlist", "people", "portal", "--json")
    assert result.exit_code == 0, result.output
    counts = {row["person"]: row["photos"] for row in listed[0]["data"]}
    assert counts == {"Colin Powell": 1, "George W Bush": 2}

    again, _ = citywatch.json("watchlist", "import", "portal", archive, "--json")
    assert again.exit_code == 2  # every photo already enrolled (or not a photo): nothing new
    assert count_rows(citywatch, "photos") == 3


def test_bad_archives_and_other_peoples_lists_are_refused(
    citywatch: CitywatchCli, tmp_path: Path
) -> None:
    assert citywatch.run("watchlist", "create", "portal", "--case", CASE).exit_code == 0
    not_zip = tmp_path / "export.zip"
    not_zip.write_text("person,photo\nJane,1.jpg\n")

    missing = citywatch.run("watchlist", "import", "portal", tmp_path / "gone.zip")
    assert missing.exit_code == 2
    assert "gone.zip: cannot be read" in missing.stderr
    wrong = citywatch.run("watchlist", "import", "portal", not_zip)
    assert wrong.exit_code == 2
    assert "export.zip" in wrong.stderr
    hidden = citywatch.as_user("olga").run("watchlist", "people", "portal")
    assert hidden.exit_code == 3  # another officer's list answers as a wrong name
    assert "no watchlist named 'portal'" in hidden.stderr
    assert count_rows(citywatch, "people") == 0
