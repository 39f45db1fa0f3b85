"""Blurring faces: inside each (enlarged) box nothing of the original survives; outside, not a
pixel changes; the matched face of a crop is the one kept sharp."""

from __future__ import annotations

import numpy as np
import pytest

from citywatch.cases.redaction import (
    MARGIN,
    blur_bystanders,
    blur_faces,
    enlarged,
    largest_face,
    nearest_centre,
)


def noise(height: int = 240, width: int = 320, seed: int = 7) -> np.ndarray:
    """Detail everywhere: any blur shows, and any untouched pixel matches exactly."""
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def inside_mask(shape: tuple[int, ...], boxes: np.ndarray) -> np.ndarray:
    mask = np.zeros(shape[:2], dtype=bool)
    for x1, y1, x2, y2 in enlarged(boxes, shape[1], shape[0]):
        mask[int(np.floor(y1)) : int(np.ceil(y2)), int(np.floor(x1)) : int(np.ceil(x2))] = True
    return mask


def correlation(first: np.ndarray, second: np.ndarray) -> float:
    a = first.astype(np.float64).ravel() - first.mean()
    b = second.astype(np.float64).ravel() - second.mean()
    return float(a @ b / np.sqrt((a @ a) * (b @ b)))


def test_blurred_boxes_keep_nothing_of_the_face_and_the_rest_is_untouched() -> None:
    image = noise()
    boxes = np.array([[40, 50, 100, 130], [200, 20, 260, 100]], np.float32)

    blurred = blur_faces(image, boxes)

    inside = inside_mask(image.shape, boxes)
    assert np.array_equal(blurred[~inside], image[~inside])
    for x1, y1, x2, y2 in boxes.astype(int):
        before, after = image[y1:y2, x1:x2], blurred[y1:y2, x1:x2]
        assert np.mean(before != after) > 0.95
        assert abs(correlation(before, after)) < 0.1  # no trace of the original's detail
        # Smooth: neighbouring pixels differ by little, where the noise differed by ~85.
        steps = np.abs(np.diff(after.astype(np.int16), axis=1))
        assert steps.mean() < 4
    assert blurred.dtype == np.uint8 and blurred.shape == image.shape
    assert not np.shares_memory(blurred, image)


def test_the_margin_covers_hair_and_chin_around_the_box() -> None:
    image = noise()
    box = np.array([[100, 100, 140, 160]], np.float32)  # 40 x 60

    blurred = blur_faces(image, box)

    grown = enlarged(box, 320, 240)[0]
    assert grown.tolist() == pytest.approx([100 - 40 * MARGIN, 100 - 60 * MARGIN, 150, 175])
    assert not np.array_equal(blurred[86:90, 91:149], image[86:90, 91:149])  # above the box
    assert np.array_equal(blurred[:84], image[:84])


@pytest.mark.parametrize(
    ("boxes", "expected"),
    [
        ([[-20, -10, 30, 40]], [[-20, -10, 30, 40]]),  # clipped to the picture
        ([[300, 200, 340, 260]], [[300, 200, 320, 240]]),
        ([[0, 0, 0, 0]], [[0, 0, 0, 0]]),
    ],
)
def test_enlarged_boxes_stay_inside_the_picture(
    boxes: list[list[float]], expected: list[list[float]]
) -> None:
    grown = enlarged(np.array(boxes, np.float32), 320, 240, margin=0.0)
    clipped = np.clip(np.array(expected, np.float32), 0, [320, 240, 320, 240])
    assert grown.tolist() == clipped.tolist()


def test_no_boxes_and_degenerate_boxes_change_nothing() -> None:
    image = noise()
    assert np.array_equal(blur_faces(image, np.zeros((0, 4), np.float32)), image)
    assert np.array_equal(blur_faces(image, np.array([[10, 10, 10, 40]], np.float32)), image)


@pytest.mark.parametrize(
    ("boxes", "expected"),
    [
        ([], None),
        ([[140, 100, 180, 150]], 0),  # centred
        ([[0, 0, 40, 50], [140, 100, 180, 150]], 1),  # the bystander at the edge is not kept
        ([[130, 95, 170, 145], [150, 100, 210, 170]], 1),  # about as near: the larger
        ([[0, 0, 40, 50]], None),  # only a face off to the side: the matched one was missed
    ],
)
def test_the_matched_face_of_a_crop_is_the_one_at_its_centre(
    boxes: list[list[float]], expected: int | None
) -> None:
    assert nearest_centre(np.array(boxes, np.float32).reshape(-1, 4), 320, 240) == expected


@pytest.mark.parametrize(
    ("boxes", "expected"),
    [([], None), ([[0, 0, 10, 10]], 0), ([[0, 0, 10, 10], [50, 50, 90, 95], [5, 5, 40, 40]], 1)],
)
def test_the_enrolled_face_of_a_photo_is_its_largest(
    boxes: list[list[float]], expected: int | None
) -> None:
    assert largest_face(np.array(boxes, np.float32).reshape(-1, 4)) == expected


def test_bystanders_are_blurred_and_the_kept_face_stays_sharp_even_where_they_overlap() -> None:
    image = noise()
    kept = [120, 80, 200, 180]
    bystander = [190, 60, 250, 140]  # its enlarged box reaches into the kept face
    boxes = np.array([kept, bystander], np.float32)

    shown = blur_bystanders(image, boxes, keep=0)

    assert np.array_equal(shown[80:180, 120:200], image[80:180, 120:200])
    assert abs(correlation(image[60:140, 200:250], shown[60:140, 200:250])) < 0.1
    assert np.array_equal(blur_bystanders(image, boxes[:1], keep=0), image)
    everyone = blur_bystanders(image, boxes, keep=None)
    assert abs(correlation(image[80:180, 120:190], everyone[80:180, 120:190])) < 0.1
