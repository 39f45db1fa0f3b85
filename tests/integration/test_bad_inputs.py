"""Bad sources for `scan`, bad photos for `compare`: one clear line naming the file, exit != 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import CASE, PAUL_RUDD, WALKERS_VIDEO, CitywatchCli, gradient, write_jpeg


@pytest.mark.parametrize(
    ("name", "content", "phrase"),
    [
        ("missing.mp4", None, "no such file"),
        ("notes.txt", b"not a video\n", "cannot be opened as video"),
        ("snapshot.jpg", b"not a picture either\n", "not an image"),
        ("empty.mp4", b"", "the file is empty"),
        # Rich markup once ate "[draft]" from messages and crashed on "[/]".
        ("clip[draft][/].mp4", None, "no such file"),
    ],
    ids=["missing", "text", "text-as-jpg", "empty", "brackets-in-name"],
)
def test_scan_refuses_a_bad_source_by_name(
    citywatch: CitywatchCli, tmp_path: Path, name: str, content: bytes | None, phrase: str
) -> None:
    source = tmp_path / name
    if content is not None:
        source.write_bytes(content)

    result = citywatch.run("scan", "--json", "--case", CASE, source)

    assert result.exit_code != 0
    assert str(source) in result.stderr
    assert phrase in result.stderr
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1


def test_scan_of_a_truncated_video_fails_cleanly_or_scans_what_it_can(
    citywatch: CitywatchCli, tmp_path: Path, data_dir: Path
) -> None:
    truncated = tmp_path / "cut.mp4"
    truncated.write_bytes((data_dir / WALKERS_VIDEO).read_bytes()[:50_000])

    result, events = citywatch.json("scan", "--json", "--case", CASE, truncated)

    # `run` already failed the test on a traceback; what remains is one of two clean outcomes.
    if result.exit_code == 0:
        assert events[-1]["event"] == "summary"
        assert 0 < events[-1]["frames"] < 105
    else:
        assert str(truncated) in result.stderr
        assert "video" in result.stderr
        assert events == []


def test_scan_fails_before_any_work_when_one_of_several_sources_is_missing(
    citywatch: CitywatchCli, tmp_path: Path, data_dir: Path
) -> None:
    assert citywatch.run("watchlist", "create", "wanted", "--case", CASE).exit_code == 0
    missing = tmp_path / "gone.mp4"
    result = citywatch.run("scan", "--json", "--case", CASE, data_dir / WALKERS_VIDEO, missing)
    assert result.exit_code != 0
    assert str(missing) in result.stderr
    assert result.stdout == ""
    with citywatch.db() as db:
        assert db.execute("SELECT count(*) FROM scans").fetchone()[0] == 0


def test_compare_refuses_a_photo_without_a_face(
    citywatch: CitywatchCli, tmp_path: Path, data_dir: Path
) -> None:
    no_face = write_jpeg(tmp_path / "wall.jpg", gradient())

    result = citywatch.run("compare", "--json", no_face, data_dir / PAUL_RUDD)

    assert result.exit_code != 0
    assert str(no_face) in result.stderr
    assert "no face" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("which", ["missing", "text"])
def test_compare_refuses_an_unreadable_photo_by_name(
    citywatch: CitywatchCli, tmp_path: Path, data_dir: Path, which: str
) -> None:
    photo = tmp_path / "b.jpg"
    if which == "text":
        photo.write_text("hello\n")

    result = citywatch.run("compare", data_dir / PAUL_RUDD, photo)

    assert result.exit_code != 0
    assert str(photo) in result.stderr
    assert ("no such file" if which == "missing" else "not an image") in result.stderr
