"""A photo of six people: the detector sees all six; enrolment needs --largest to pick one."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from citywatch.detect import FaceDetector

from .conftest import CASE, GROUP_PHOTO, CitywatchCli


def test_detector_finds_six_faces_with_landmarks_inside_their_boxes(
    data_dir: Path, detector: FaceDetector
) -> None:
    image = cv2.imread(str(data_dir / GROUP_PHOTO))
    faces = detector.detect(image)

    assert len(faces) == 6
    assert faces.landmarks.shape == (6, 5, 2)
    boxes = faces.boxes[:, None, :]
    x, y = faces.landmarks[..., 0], faces.landmarks[..., 1]
    inside = (
        (x >= boxes[..., 0]) & (x <= boxes[..., 2]) & (y >= boxes[..., 1]) & (y <= boxes[..., 3])
    )
    assert inside.all(), f"landmarks outside their box for faces {np.where(~inside.all(1))[0]}"
    # Six separate people: no two boxes overlap (a duplicate detection would).
    for i in range(6):
        for j in range(i + 1, 6):
            a, b = faces.boxes[i], faces.boxes[j]
            overlap_x = min(a[2], b[2]) - max(a[0], b[0])
            overlap_y = min(a[3], b[3]) - max(a[1], b[1])
            assert overlap_x <= 0 or overlap_y <= 0, f"faces {i} and {j} overlap"


@pytest.fixture
def group_list(citywatch: CitywatchCli) -> CitywatchCli:
    assert citywatch.run("watchlist", "create", "group", "--case", CASE).exit_code == 0
    return citywatch


def test_enrolling_a_group_photo_is_refused_and_names_the_count(
    group_list: CitywatchCli, data_dir: Path
) -> None:
    photo = data_dir / GROUP_PHOTO
    result, lines = group_list.json(
        "enroll", "--watchlist", "group", "--person", "Someone", "--json", photo
    )

    assert result.exit_code != 0
    (entry,) = [line for line in lines if line["event"] == "photo"]
    assert entry["status"] == "rejected"
    assert str(photo) in entry["reason"]
    assert "6 faces" in entry["reason"]
    assert "--largest" in entry["reason"]
    _, listed = group_list.json("watchlist", "list", "--json")
    assert listed[0]["data"][0]["people"] == 0
    assert listed[0]["data"][0]["photos"] == 0


def test_enrolling_a_group_photo_with_largest_takes_the_largest_face(
    group_list: CitywatchCli, data_dir: Path, detector: FaceDetector
) -> None:
    photo = data_dir / GROUP_PHOTO
    largest_px = float(detector.detect(cv2.imread(str(photo))).heights_px.max())

    result, lines = group_list.json(
        "enroll", "--watchlist", "group", "--person", "Someone", "--largest", "--json", photo
    )

    assert result.exit_code == 0
    (entry,) = [line for line in lines if line["event"] == "photo"]
    assert entry["status"] == "enrolled"
    assert entry["photo_id"] is not None
    assert entry["face_px"] == pytest.approx(largest_px, abs=1.0)
    _, listed = group_list.json("watchlist", "list", "--json")
    assert listed[0]["data"][0]["photos"] == 1
