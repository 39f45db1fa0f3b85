"""Real footage: people enrolled from one early frame are found later in the video, nobody else is.

Two people are cropped from frame 10 of the walking video and enrolled on two lists with their own
thresholds (one of them also on a third, strict list); an LFW stranger goes on a fourth. Only the
frames from 2.0 s on are scanned, so each alert comes from the tracker seeing the same person
again, not from the enrolment frame itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from citywatch.detect import FaceDetector
from citywatch.embed.quality import frontal_scores

from .conftest import (
    CASE,
    WALKERS_VIDEO,
    CitywatchCli,
    WalkersClip,
    crop_face,
    lfw_photo,
    write_jpeg,
)

pytestmark = pytest.mark.slow

MIN_ENROL_FACE_PX = 60.0
LISTS = {"first": 0.45, "second": 0.50, "strict": 0.95}
STRANGER = ("Abdel_Madi_Shabneh", 1)
"""The first 'different' pair of LFW's pairs.txt starts with this photo."""


@dataclass(frozen=True)
class Scan:
    citywatch: CitywatchCli
    camera: str
    exit_code: int
    alerts: list[dict[str, Any]]
    summary: dict[str, Any]
    events: list[dict[str, Any]]
    enrolled_photos: int


def scan(citywatch: CitywatchCli, video: Path, *options: str, enrolled_photos: int) -> Scan:
    result, events = citywatch.json("scan", "--json", "--case", CASE, *options, video)
    return Scan(
        citywatch,
        video.name,
        result.exit_code,
        [e for e in events if e["event"] == "alert"],
        events[-1],
        events,
        enrolled_photos,
    )


def enrol(citywatch: CitywatchCli, watchlist: str, person: str, photo: Path) -> None:
    result, lines = citywatch.json(
        "enroll", "--watchlist", watchlist, "--person", person, "--json", photo
    )
    assert result.exit_code == 0, lines
    assert lines[0]["status"] == "enrolled"


@pytest.fixture(scope="module")
def multi_list_scan(
    walkers: WalkersClip,
    detector: FaceDetector,
    lfw: Path,
    new_cli: Callable[[str], CitywatchCli],
    tmp_path_factory: pytest.TempPathFactory,
) -> Scan:
    folder = tmp_path_factory.mktemp("crops")
    faces = detector.detect(walkers.enrol_frame)
    big = np.flatnonzero(faces.heights_px >= MIN_ENROL_FACE_PX)
    first, second = big[np.argsort(-frontal_scores(faces.landmarks[big]), kind="stable")[:2]]
    citywatch = new_cli("multi")
    for name, threshold in LISTS.items():
        created = citywatch.run(
            "watchlist", "create", name, "--case", CASE, "--min-similarity", str(threshold)
        )
        assert created.exit_code == 0
    assert citywatch.run("watchlist", "create", "lfw", "--case", CASE).exit_code == 0
    photo_a = write_jpeg(
        folder / "walker-a.jpg", crop_face(walkers.enrol_frame, faces.boxes[first])
    )
    photo_b = write_jpeg(
        folder / "walker-b.jpg", crop_face(walkers.enrol_frame, faces.boxes[second])
    )
    enrol(citywatch, "first", "Walker A", photo_a)
    enrol(citywatch, "second", "Walker B", photo_b)
    enrol(citywatch, "strict", "Walker B strict", photo_b)
    enrol(citywatch, "lfw", "Stranger", lfw_photo(lfw, *STRANGER))
    return scan(citywatch, walkers.later_clip, enrolled_photos=4)


def test_each_enrolled_walker_raises_exactly_one_alert_on_their_own_list(
    multi_list_scan: Scan,
) -> None:
    assert multi_list_scan.exit_code == 0
    people = sorted((a["person"], a["watchlist"]) for a in multi_list_scan.alerts)
    assert people == [("Walker A", "first"), ("Walker B", "second")]


def test_no_alert_for_the_stranger_or_from_the_strict_list(multi_list_scan: Scan) -> None:
    persons = {a["person"] for a in multi_list_scan.alerts}
    assert "Stranger" not in persons
    assert "Walker B strict" not in persons  # same face, but under that list's 0.95 threshold


def test_alert_carries_its_evidence(multi_list_scan: Scan, walkers: WalkersClip) -> None:
    assert multi_list_scan.alerts
    for alert in multi_list_scan.alerts:
        assert alert["camera"] == walkers.later_clip.name
        assert alert["similarity"] >= LISTS[alert["watchlist"]]
        assert alert["similarity"] <= 1.0
        assert 0.0 <= alert["first_seen_s"] < alert["last_seen_s"] <= walkers.later_duration_s
        assert alert["status"] == "pending"
        for key in ("crop", "photo"):
            path = Path(alert[key])
            assert path.is_file(), f"{key} {path} is missing"
            with Image.open(path) as picture:
                assert picture.format == "JPEG"
                picture.load()
                assert min(picture.size) >= 24


def test_summary_is_last_and_counts_the_clip(multi_list_scan: Scan, walkers: WalkersClip) -> None:
    summary = multi_list_scan.summary
    assert summary["event"] == "summary"
    assert set(summary) == {"event", "frames", "faces", "tracks", "sightings", "alerts", "seconds"}
    assert summary["frames"] == walkers.later_frames
    assert summary["alerts"] == len(multi_list_scan.alerts) == 2
    assert summary["sightings"] >= 5
    assert summary["tracks"] >= summary["sightings"]
    assert summary["faces"] >= summary["frames"]  # several people in view in every frame
    assert summary["seconds"] > 0
    assert [e["event"] for e in multi_list_scan.events].count("summary") == 1


def test_scan_keeps_nothing_about_unmatched_faces(multi_list_scan: Scan) -> None:
    assert_nothing_kept_beyond_alerts(multi_list_scan)
    # More people were seen than matched: the others left no trace.
    assert multi_list_scan.summary["sightings"] > len(multi_list_scan.alerts)


# -- the LFW stranger alone, over the whole walking video ------------------------------------
@pytest.fixture(scope="module")
def stranger_scan(data_dir: Path, lfw: Path, new_cli: Callable[[str], CitywatchCli]) -> Scan:
    citywatch = new_cli("stranger")
    assert citywatch.run("watchlist", "create", "lfw", "--case", CASE).exit_code == 0
    enrol(citywatch, "lfw", "Stranger", lfw_photo(lfw, *STRANGER))
    # 10 frames/s is plenty for a no-alert check and halves the cost of the 25 fps video.
    return scan(citywatch, data_dir / WALKERS_VIDEO, "--fps", "10", enrolled_photos=1)


def test_lfw_stranger_is_not_found_among_the_walkers(stranger_scan: Scan) -> None:
    assert stranger_scan.exit_code == 0
    assert stranger_scan.alerts == []
    assert stranger_scan.summary["alerts"] == 0
    # Not vacuous: people were seen and embedded, they just are not the stranger.
    assert stranger_scan.summary["sightings"] >= 5
    assert 40 <= stranger_scan.summary["frames"] <= 44  # 4.2 s at 10 frames/s


def test_scan_with_one_enrolled_person_and_no_match_keeps_nothing(stranger_scan: Scan) -> None:
    assert_nothing_kept_beyond_alerts(stranger_scan)


def assert_nothing_kept_beyond_alerts(result: Scan) -> None:
    """The database and media folder hold enrolled photos and alerts, and nothing else."""
    media = result.citywatch.home / "media"
    photos = [p for p in (media / "photos").rglob("*") if p.is_file()]
    assert len(photos) == result.enrolled_photos
    # Besides enrolled photos, the media folder holds exactly the alerts' crops.
    others = {str(p) for p in media.rglob("*") if p.is_file()} - {str(p) for p in photos}
    assert others == {a["crop"] for a in result.alerts}
    assert len(others) == len(result.alerts)
    with result.citywatch.db() as db:
        assert db.execute("SELECT count(*) FROM alerts").fetchone()[0] == len(result.alerts)
        (row,) = db.execute("SELECT * FROM scans").fetchall()
        for key in ("frames", "faces", "tracks", "sightings", "alerts"):
            assert row[key] == result.summary[key], key
        assert row["finished_at"] is not None
        assert json.loads(row["sources"]) == [result.camera]
        # Every stored vector or picture is an enrolled photo's or an alert's: count the rows of
        # every table that hold any BLOB, and any column named like an embedding.
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        blob_rows = {}
        for table in tables:
            columns = [c[1] for c in db.execute(f"PRAGMA table_info({table})")]
            if not columns:
                continue
            any_blob = " OR ".join(f"typeof({c}) = 'blob'" for c in columns)
            count = db.execute(f"SELECT count(*) FROM {table} WHERE {any_blob}").fetchone()[0]
            if count:
                blob_rows[table] = count
            if any("embedding" in c for c in columns):
                # not_this_person keeps the sightings of alerts that reviewers rejected: none
                # here, and the BLOB count below holds it to that.
                assert table in ("photo_embeddings", "alerts", "not_this_person"), (
                    f"{table} holds embeddings"
                )
        assert blob_rows == {
            name: count
            for name, count in (
                ("photo_embeddings", result.enrolled_photos),
                ("alerts", len(result.alerts)),
            )
            if count
        }
