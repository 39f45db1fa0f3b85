"""The quality gate: size, sharpness and pose, combined by geometric mean."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from citywatch.embed.quality import QualityGate, frontal_scores
from citywatch.types import Faces

# Symmetric landmarks in a 112 px crop: eyes level, nose and mouth centred between them.
FRONTAL = np.array([[40, 50], [72, 50], [56, 70], [44, 90], [68, 90]], np.float32)


def _faces(heights_px: list[float], landmarks: np.ndarray | None = None) -> Faces:
    n = len(heights_px)
    boxes = np.array([[10, 10, 10 + h, 10 + h] for h in heights_px], np.float32).reshape(n, 4)
    points = np.repeat(FRONTAL[None], n, axis=0) if landmarks is None else landmarks
    return Faces(boxes=boxes, scores=np.ones(n, np.float32), landmarks=points)


def _textured(seed: int = 0) -> np.ndarray:
    """A sharp 112x112 crop: blocks of random grey levels with hard edges."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, (14, 14), dtype=np.uint8)
    grey = cv2.resize(blocks, (112, 112), interpolation=cv2.INTER_NEAREST)
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)


def _crops(*crops: np.ndarray) -> np.ndarray:
    return np.stack(crops)


def _with_nose_at(x: float) -> np.ndarray:
    points = FRONTAL.copy()
    points[2, 0] = x
    return points


def test_small_face_is_rejected_with_a_reason_naming_its_height() -> None:
    gate = QualityGate(min_face_px=24.0)

    report = gate.assess(_faces([18.0]), _crops(_textured()))

    assert not report.passed[0]
    assert "18 px" in report.reasons[0]
    assert "24" in report.reasons[0]


def test_large_sharp_frontal_face_passes_with_no_reason() -> None:
    report = QualityGate().assess(_faces([100.0]), _crops(_textured()))

    assert report.passed.tolist() == [True]
    assert report.reasons == ("",)
    assert report.score[0] > 0.5


def test_blurred_crop_scores_lower_sharpness_than_the_sharp_one() -> None:
    sharp = _textured()
    blurred = cv2.GaussianBlur(sharp, (0, 0), sigmaX=4.0)

    report = QualityGate().assess(_faces([100.0, 100.0]), _crops(sharp, blurred))

    assert report.sharpness[1] < report.sharpness[0]
    assert report.score[1] < report.score[0]


def test_featureless_crop_is_rejected_as_blurred() -> None:
    flat = np.full((112, 112, 3), 128, np.uint8)

    report = QualityGate().assess(_faces([100.0]), _crops(flat))

    assert not report.passed[0]
    assert "blurred" in report.reasons[0]


def test_turned_face_is_rejected_as_turned() -> None:
    turned = _with_nose_at(70.0)[None]

    report = QualityGate(min_frontal=0.35).assess(_faces([100.0], turned), _crops(_textured()))

    assert not report.passed[0]
    assert "turned" in report.reasons[0]


def test_frontal_score_is_one_for_symmetric_landmarks() -> None:
    assert frontal_scores(FRONTAL[None]).tolist() == [pytest.approx(1.0, abs=1e-5)]


def test_frontal_score_falls_monotonically_as_the_nose_moves_off_centre() -> None:
    shifts = [0.0, 2.0, 4.0, 8.0, 12.0, 16.0]
    landmarks = np.stack([_with_nose_at(56.0 + shift) for shift in shifts])

    scores = frontal_scores(landmarks)

    assert np.all(np.diff(scores) < 0), scores
    assert scores[-1] == 0.0, "a nose on the line of an eye is fully turned"


def test_frontal_score_is_the_same_for_either_direction_of_turn() -> None:
    scores = frontal_scores(np.stack([_with_nose_at(50.0), _with_nose_at(62.0)]))

    assert scores[0] == pytest.approx(scores[1])


def test_frontal_score_ignores_roll() -> None:
    # Rotating the whole face in the image plane is undone by alignment: no penalty.
    angle = np.radians(30.0)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    rolled = ((FRONTAL - 56.0) @ rotation.T + 56.0).astype(np.float32)

    assert frontal_scores(rolled[None])[0] == pytest.approx(1.0, abs=1e-4)


def test_frontal_scores_of_no_faces_are_empty() -> None:
    assert frontal_scores(np.zeros((0, 5, 2), np.float32)).shape == (0,)


def test_score_is_the_geometric_mean_of_size_sharpness_and_frontal() -> None:
    gate = QualityGate(good_face_px=80.0)

    report = gate.assess(_faces([40.0], _with_nose_at(60.0)[None]), _crops(_textured()))

    size = 40.0 / 80.0
    expected = np.cbrt(size * report.sharpness[0] * report.frontal[0])
    assert report.score[0] == pytest.approx(expected, rel=1e-5)
    assert 0 < report.frontal[0] < 1


@pytest.mark.parametrize(
    ("case", "height_px", "nose_x", "flat"),
    [("no sharpness", 100.0, 56.0, True), ("fully turned", 100.0, 72.0, False)],
)
def test_one_zero_measure_gives_a_zero_score(
    case: str, height_px: float, nose_x: float, flat: bool
) -> None:
    crop = np.full((112, 112, 3), 128, np.uint8) if flat else _textured()

    report = QualityGate().assess(_faces([height_px], _with_nose_at(nose_x)[None]), _crops(crop))

    assert report.score[0] == 0.0, case
    assert max(report.sharpness[0], report.frontal[0]) > 0.5, "the other measures are good"


def test_assess_keeps_faces_in_order() -> None:
    sharp = _textured()
    report = QualityGate(min_face_px=24.0).assess(
        _faces([100.0, 10.0, 60.0]), _crops(sharp, sharp, sharp)
    )

    assert report.passed.tolist() == [True, False, True]
    np.testing.assert_allclose(report.face_px, [100.0, 10.0, 60.0])
    assert report.reasons[1].startswith("face too small")


def test_assess_of_no_faces_is_empty() -> None:
    report = QualityGate().assess(Faces.empty(), np.zeros((0, 112, 112, 3), np.uint8))

    assert report.score.shape == (0,)
    assert report.passed.shape == (0,)
    assert report.reasons == ()
