"""The columnar `Faces` type and the small value types around it."""

from __future__ import annotations

import numpy as np
import pytest

from citywatch.types import Faces, Frame, Gallery


def _faces(n: int, embedded: bool = True) -> Faces:
    """`n` faces whose every column encodes the row number, so misalignment shows."""
    rows = np.arange(n, dtype=np.float32)
    return Faces(
        boxes=np.stack([rows, rows + 100, rows + 10, rows + 120], axis=1),
        scores=rows / 10,
        landmarks=np.repeat(rows[:, None, None], 10, axis=1).reshape(n, 5, 2),
        track_ids=np.arange(n, dtype=np.int64) + 1000,
        quality=rows / 100,
        embeddings=np.repeat(rows[:, None], 3, axis=1) if embedded else None,
    )


def _rows(faces: Faces) -> list[list[float]]:
    """The row number as read from every column of every face."""
    assert faces.embeddings is not None
    return [
        [
            float(faces.boxes[i, 0]),
            float(faces.scores[i] * 10),
            float(faces.landmarks[i, 4, 1]),
            float(faces.track_ids[i] - 1000),
            float(faces.quality[i] * 100),
            float(faces.embeddings[i, 2]),
        ]
        for i in range(len(faces))
    ]


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (2, [2]),
        (np.int64(3), [3]),
        (np.argmax([0, 5, 1]), [1]),
        (slice(1, 4), [1, 2, 3]),
        (slice(None, None, -2), [4, 2, 0]),
        (np.array([True, False, False, True, True]), [0, 3, 4]),
        (np.array([4, 0], dtype=np.int64), [4, 0]),
    ],
    ids=["int", "numpy-int", "argmax", "slice", "reverse-slice", "mask", "index-array"],
)
def test_indexing_keeps_every_column_aligned(index: object, expected: list[int]) -> None:
    selected = _faces(5)[index]  # type: ignore[index]

    assert isinstance(selected, Faces)
    assert len(selected) == len(expected)
    for row, number in zip(_rows(selected), expected, strict=True):
        assert row == pytest.approx([number] * 6)


def test_indexing_by_int_keeps_the_face_dimension() -> None:
    selected = _faces(3)[1]

    assert selected.boxes.shape == (1, 4)
    assert selected.landmarks.shape == (1, 5, 2)


def test_indexing_without_embeddings_keeps_them_absent() -> None:
    assert _faces(3, embedded=False)[0:2].embeddings is None


def test_all_false_mask_gives_empty_faces() -> None:
    selected = _faces(3)[np.zeros(3, dtype=bool)]

    assert len(selected) == 0
    assert selected.boxes.shape == (0, 4)
    assert selected.landmarks.shape == (0, 5, 2)


def test_empty_faces_have_zero_rows_in_every_column() -> None:
    faces = Faces.empty()

    assert len(faces) == 0
    assert faces.boxes.shape == (0, 4)
    assert faces.scores.shape == (0,)
    assert faces.landmarks.shape == (0, 5, 2)
    assert faces.track_ids.shape == (0,)
    assert faces.quality.shape == (0,)
    assert faces.embeddings is None


def test_post_init_fills_untracked_ids_and_zero_quality() -> None:
    faces = Faces(
        boxes=[[0, 0, 10, 20], [5, 5, 25, 45]],
        scores=[0.9, 0.8],
        landmarks=np.zeros((2, 10)),
    )

    assert faces.track_ids.tolist() == [-1, -1]
    assert faces.track_ids.dtype == np.int64
    assert faces.quality.tolist() == [0.0, 0.0]
    assert faces.boxes.dtype == np.float32
    assert faces.landmarks.shape == (2, 5, 2)


def test_embeddings_with_the_wrong_number_of_rows_are_refused() -> None:
    with pytest.raises(ValueError, match="embeddings has 1 rows for 2 faces"):
        Faces(
            boxes=np.zeros((2, 4)),
            scores=np.zeros(2),
            landmarks=np.zeros((2, 5, 2)),
            embeddings=np.zeros((1, 128), np.float32),
        )


def test_heights_and_areas_come_from_xyxy_boxes() -> None:
    faces = Faces(boxes=[[10, 20, 40, 60]], scores=[1.0], landmarks=np.zeros((1, 5, 2)))

    assert faces.heights_px.tolist() == [40.0]
    assert faces.areas_px.tolist() == [1200.0]


def test_frame_reports_its_size_in_pixels() -> None:
    frame = Frame(image=np.zeros((48, 64, 3), np.uint8), timestamp_s=0.0, index=0, camera_id="c")

    assert (frame.width_px, frame.height_px) == (64, 48)


def test_gallery_length_is_its_photo_count() -> None:
    gallery = Gallery(
        embedder="sface",
        embeddings=np.zeros((2, 128), np.float32),
        photo_ids=np.array([1, 2], np.int64),
        person_ids=np.array([1, 1], np.int64),
        person_names=("Ann", "Ann"),
        watchlists=("a", "a"),
        min_similarities=np.array([0.4, 0.4], np.float32),
    )

    assert len(gallery) == 2
