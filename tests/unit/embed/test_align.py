"""Five-point similarity alignment: the transform, and the warp it drives."""

from __future__ import annotations

import math

import numpy as np
import pytest

from citywatch.embed.align import TEMPLATE_112, align_face, align_faces, similarity_transform


def _similarity(angle_deg: float, scale: float, shift: tuple[float, float]) -> np.ndarray:
    """The 2x3 matrix rotating by `angle_deg`, scaling by `scale`, then shifting by `shift`."""
    angle = math.radians(angle_deg)
    cos, sin = math.cos(angle) * scale, math.sin(angle) * scale
    return np.array([[cos, -sin, shift[0]], [sin, cos, shift[1]]], dtype=np.float64)


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ matrix[:, :2].T + matrix[:, 2]


@pytest.mark.parametrize("angle_deg", [0.0, 15.0, -40.0, 90.0, 180.0])
@pytest.mark.parametrize("scale", [0.25, 1.0, 3.5])
def test_similarity_transform_recovers_a_known_rotation_scale_and_shift(
    angle_deg: float, scale: float
) -> None:
    known = _similarity(angle_deg, scale, (120.0, -35.0))
    source = TEMPLATE_112
    target = _apply(known, source)

    recovered = similarity_transform(source, target)

    np.testing.assert_allclose(recovered, known, rtol=1e-4, atol=1e-3)


def test_alignment_maps_template_landmarks_to_themselves() -> None:
    matrix = similarity_transform(TEMPLATE_112, TEMPLATE_112)

    np.testing.assert_allclose(matrix, [[1, 0, 0], [0, 1, 0]], atol=1e-5)


def test_similarity_transform_never_produces_a_reflection() -> None:
    # The mirrored template is matched exactly only by a reflection; the result must stay a
    # proper rotation (positive determinant) with equal scale on both axes.
    mirrored = TEMPLATE_112 * np.array([-1.0, 1.0]) + np.array([112.0, 0.0])

    matrix = similarity_transform(TEMPLATE_112, mirrored).astype(np.float64)
    linear = matrix[:, :2]

    assert np.linalg.det(linear) > 0
    assert linear[0, 0] == pytest.approx(linear[1, 1], abs=1e-5)
    assert linear[0, 1] == pytest.approx(-linear[1, 0], abs=1e-5)


def test_similarity_transform_is_least_squares_for_noisy_points() -> None:
    rng = np.random.default_rng(3)
    known = _similarity(20.0, 2.0, (50.0, 60.0))
    target = _apply(known, TEMPLATE_112) + rng.normal(0.0, 0.5, TEMPLATE_112.shape)

    matrix = similarity_transform(TEMPLATE_112, target).astype(np.float64)
    fitted_error = np.square(_apply(matrix, TEMPLATE_112) - target).sum()
    known_error = np.square(_apply(known, TEMPLATE_112) - target).sum()

    # The least-squares fit is at least as close to the points as the transform that made them.
    assert fitted_error <= known_error + 1e-6


@pytest.mark.parametrize(
    ("angle_deg", "scale", "shift"),
    [(0.0, 2.0, (100.0, 80.0)), (30.0, 1.5, (200.0, 40.0)), (-25.0, 3.0, (250.0, 120.0))],
)
def test_align_face_puts_a_dot_at_its_template_position(
    angle_deg: float, scale: float, shift: tuple[float, float]
) -> None:
    # Place the face at a known transform of the template, mark the nose with a white dot, and
    # check that alignment brings the dot back to the template's nose position.
    forward = _similarity(angle_deg, scale, shift)
    landmarks = _apply(forward, TEMPLATE_112).astype(np.float32)
    image = np.zeros((600, 700, 3), np.uint8)
    nose_x, nose_y = (int(round(v)) for v in landmarks[2])
    radius = int(round(2 * scale))
    image[nose_y - radius : nose_y + radius + 1, nose_x - radius : nose_x + radius + 1] = 255

    aligned = align_face(image, landmarks)

    grey = aligned[:, :, 0].astype(np.float64)
    ys, xs = np.nonzero(grey > 127)
    assert len(xs) > 0, "the dot must appear in the aligned crop"
    centre = np.array([xs.mean(), ys.mean()])
    np.testing.assert_allclose(centre, TEMPLATE_112[2], atol=1.0)


@pytest.mark.parametrize("size_px", [112, 224])
def test_align_face_returns_a_square_uint8_bgr_crop(size_px: int) -> None:
    image = np.full((300, 400, 3), 90, np.uint8)
    landmarks = (TEMPLATE_112 + 100).astype(np.float32)

    aligned = align_face(image, landmarks, size_px)

    assert aligned.shape == (size_px, size_px, 3)
    assert aligned.dtype == np.uint8
    assert aligned.flags["C_CONTIGUOUS"]


def test_align_face_scales_the_template_with_the_output_size() -> None:
    image = np.zeros((400, 400, 3), np.uint8)
    landmarks = (TEMPLATE_112 + 100).astype(np.float32)
    x, y = (int(v) for v in landmarks[0])
    image[y - 1 : y + 2, x - 1 : x + 2] = 255

    aligned = align_face(image, landmarks, 224)

    ys, xs = np.nonzero(aligned[:, :, 0] > 60)
    np.testing.assert_allclose([xs.mean(), ys.mean()], TEMPLATE_112[0] * 2, atol=1.5)


def test_align_faces_stacks_one_crop_per_face_in_order() -> None:
    image = np.zeros((200, 400, 3), np.uint8)
    image[:, :200] = (10, 20, 30)
    image[:, 200:] = (200, 150, 100)
    landmarks = np.stack([TEMPLATE_112 + [40, 40], TEMPLATE_112 + [240, 40]]).astype(np.float32)

    aligned = align_faces(image, landmarks)

    assert aligned.shape == (2, 112, 112, 3)
    assert aligned[0, 56, 56].tolist() == [10, 20, 30]
    assert aligned[1, 56, 56].tolist() == [200, 150, 100]


def test_align_faces_of_no_faces_is_an_empty_stack() -> None:
    image = np.zeros((100, 100, 3), np.uint8)

    aligned = align_faces(image, np.zeros((0, 5, 2), np.float32))

    assert aligned.shape == (0, 112, 112, 3)
    assert aligned.dtype == np.uint8
