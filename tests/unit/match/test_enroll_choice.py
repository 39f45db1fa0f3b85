"""Choosing the one face to enrol from a photo's detections."""

from __future__ import annotations

import numpy as np
import pytest

from citywatch.errors import FaceError
from citywatch.match.enroll import choose_face
from citywatch.types import Faces


def _faces(heights_px: list[float]) -> Faces:
    """Square faces side by side, each with its height as score so that rows are recognisable."""
    n = len(heights_px)
    boxes = [[200.0 * i, 0.0, 200.0 * i + h, h] for i, h in enumerate(heights_px)]
    return Faces(
        boxes=np.array(boxes, np.float32).reshape(n, 4),
        scores=np.array(heights_px, np.float32) / 1000,
        landmarks=np.zeros((n, 5, 2), np.float32),
    )


def test_photo_without_a_face_is_refused_naming_the_photo() -> None:
    with pytest.raises(FaceError, match=r"jane\.jpg: no face found"):
        choose_face(Faces.empty(), "jane.jpg", take_largest=False)


def test_photo_without_a_face_is_refused_even_when_taking_the_largest() -> None:
    with pytest.raises(FaceError, match="jane.jpg"):
        choose_face(Faces.empty(), "jane.jpg", take_largest=True)


@pytest.mark.parametrize(
    ("heights_px", "rivals"),
    [([100.0, 90.0], 2), ([80.0, 120.0], 2), ([100.0, 60.0, 100.0], 3), ([100.0, 50.0], 2)],
)
def test_several_faces_of_similar_size_are_refused(heights_px: list[float], rivals: int) -> None:
    with pytest.raises(FaceError) as caught:
        choose_face(_faces(heights_px), "group.jpg", take_largest=False)

    message = str(caught.value)
    assert message.startswith("group.jpg:")
    assert f"{rivals} faces found" in message
    assert "--largest" in message


@pytest.mark.parametrize(
    ("heights_px", "largest"), [([100.0, 90.0], 0), ([80.0, 120.0], 1), ([60.0, 100.0, 99.0], 1)]
)
def test_taking_the_largest_picks_the_tallest_face(heights_px: list[float], largest: int) -> None:
    faces = _faces(heights_px)

    chosen = choose_face(faces, "group.jpg", take_largest=True)

    assert len(chosen) == 1
    np.testing.assert_array_equal(chosen.boxes[0], faces.boxes[largest])
    assert chosen.scores[0] == faces.scores[largest]


@pytest.mark.parametrize("background_px", [10.0, 30.0, 49.0])
def test_a_much_smaller_background_face_is_not_a_rival(background_px: float) -> None:
    faces = _faces([background_px, 100.0])

    chosen = choose_face(faces, "street.jpg", take_largest=False)

    assert chosen.heights_px.tolist() == [100.0]


def test_a_single_face_is_chosen() -> None:
    faces = _faces([64.0])

    chosen = choose_face(faces, "jane.jpg", take_largest=False)

    np.testing.assert_array_equal(chosen.boxes, faces.boxes)
