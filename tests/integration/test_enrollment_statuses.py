"""`enroll` judges every photo on its own: good ones enrol, each bad one gets its own reason."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from citywatch.detect import FaceDetector

from .conftest import CASE, PAUL_RUDD, CitywatchCli, gradient, write_jpeg

TINY_FACE_PX = 20


@pytest.fixture
def bad_photos(
    tmp_path: Path, data_dir: Path, detector: FaceDetector
) -> dict[str, tuple[Path, str]]:
    """Each bad photo with the phrase its rejection must contain."""
    text = tmp_path / "x.jpg"
    text.write_text("this is not a picture\n")
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes((data_dir / "faces/people/kate_siegel/1.jpg").read_bytes()[:200])
    no_face = write_jpeg(tmp_path / "no-face.jpg", gradient())
    # A real face shrunk to ~20 px high on a 640x480 canvas: found, but too small to enrol.
    person = cv2.imread(str(data_dir / "faces/people/shea_whigham/1.jpg"))
    scale = TINY_FACE_PX / float(detector.detect(person).heights_px.max())
    small = cv2.resize(person, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    canvas = np.full((480, 640, 3), 128, np.uint8)
    canvas[100 : 100 + small.shape[0], 100 : 100 + small.shape[1]] = small
    tiny = write_jpeg(tmp_path / "tiny-face.jpg", canvas)
    missing = tmp_path / "missing.jpg"
    return {
        "text": (text, "not an image"),
        "corrupt": (corrupt, "damaged or truncated"),
        "no_face": (no_face, "no face"),
        "tiny": (tiny, "too small"),
        "missing": (missing, "cannot be read"),
    }


@pytest.fixture
def listed(citywatch: CitywatchCli) -> CitywatchCli:
    assert citywatch.run("watchlist", "create", "wanted", "--case", CASE).exit_code == 0
    return citywatch


def stored_photos(citywatch: CitywatchCli) -> int:
    with citywatch.db() as db:
        return int(db.execute("SELECT count(*) FROM photos").fetchone()[0])


def test_good_photo_enrols_and_each_bad_one_is_rejected_with_its_reason(
    listed: CitywatchCli, data_dir: Path, bad_photos: dict[str, tuple[Path, str]]
) -> None:
    good = data_dir / PAUL_RUDD
    photos = [good, *(path for path, _ in bad_photos.values())]

    result, lines = listed.json(
        "enroll", "--watchlist", "wanted", "--person", "Paul Rudd", "--json", *photos
    )

    assert result.exit_code == 0
    by_photo = {line["photo"]: line for line in lines if line["event"] == "photo"}
    assert set(by_photo) == {str(p) for p in photos}
    assert all("status" in line for line in by_photo.values())
    assert by_photo[str(good)]["status"] == "enrolled"
    assert by_photo[str(good)]["reason"] == ""
    for kind, (path, phrase) in bad_photos.items():
        entry = by_photo[str(path)]
        assert entry["status"] == "rejected", kind
        assert entry["photo_id"] is None, kind
        assert str(path) in entry["reason"], f"{kind}: reason does not name the file"
        assert phrase in entry["reason"], f"{kind}: {entry['reason']!r}"
    reasons = [by_photo[str(path)]["reason"] for path, _ in bad_photos.values()]
    assert len(set(reasons)) == len(reasons)
    summary = lines[-1]
    assert summary == {
        "event": "summary",
        "person": "Paul Rudd",
        "watchlist": "wanted",
        "enrolled": 1,
        "rejected": len(bad_photos),
    }
    assert stored_photos(listed) == 1
    assert len(list((listed.home / "media" / "photos").rglob("*.jpg"))) == 1


def test_tiny_face_is_rejected_for_its_size(
    listed: CitywatchCli, bad_photos: dict[str, tuple[Path, str]]
) -> None:
    path, _ = bad_photos["tiny"]
    _, lines = listed.json("enroll", "--watchlist", "wanted", "--person", "Tiny", "--json", path)
    reason = lines[0]["reason"]
    face_px = float(reason.split("face too small: ")[1].split(" px")[0])
    assert abs(face_px - TINY_FACE_PX) <= 4, reason


def test_only_bad_photos_exits_non_zero_and_stores_nothing(
    listed: CitywatchCli, bad_photos: dict[str, tuple[Path, str]]
) -> None:
    photos = [path for path, _ in bad_photos.values()]

    result, lines = listed.json(
        "enroll", "--watchlist", "wanted", "--person", "Nobody", "--json", *photos
    )

    assert result.exit_code != 0
    statuses = [line["status"] for line in lines if line["event"] == "photo"]
    assert statuses == ["rejected"] * len(photos)
    assert lines[-1]["enrolled"] == 0
    assert stored_photos(listed) == 0
    with listed.db() as db:
        assert db.execute("SELECT count(*) FROM people").fetchone()[0] == 0


def test_only_bad_photos_without_json_prints_each_file_and_exits_non_zero(
    listed: CitywatchCli, bad_photos: dict[str, tuple[Path, str]]
) -> None:
    path, _ = bad_photos["corrupt"]
    result = listed.run("enroll", "--watchlist", "wanted", "--person", "Nobody", path)
    assert result.exit_code != 0
    assert "0 of 1 photos enrolled" in result.stdout
    assert "rejected" in result.stdout


def test_unknown_watchlist_is_refused_by_name_and_stores_nothing(
    listed: CitywatchCli, data_dir: Path
) -> None:
    result = listed.run(
        "enroll", "--watchlist", "no-such-list", "--person", "Paul Rudd", data_dir / PAUL_RUDD
    )

    assert result.exit_code != 0
    assert "no-such-list" in result.stderr
    assert "wanted" in result.stderr  # names the lists that do exist
    assert stored_photos(listed) == 0
    assert not list((listed.home / "media").rglob("*.jpg"))
