"""The track book keeps each track's few best shots and its evidence crop."""

from __future__ import annotations

import numpy as np
import pytest

from citywatch.embed.quality import QualityReport
from citywatch.track.trackbook import EVIDENCE_MAX_PX, TrackBook, evidence_crop
from citywatch.types import Faces, Frame


def _frame(timestamp_s: float, value: int = 0, size: tuple[int, int] = (240, 320)) -> Frame:
    """A frame filled with `value`, so that a crop shows which frame it came from."""
    image = np.full((*size, 3), value, np.uint8)
    return Frame(image=image, timestamp_s=timestamp_s, index=int(timestamp_s * 10), camera_id="cam")


def _observe(
    book: TrackBook,
    frame: Frame,
    track_ids: list[int],
    qualities: list[float],
    passed: list[bool] | None = None,
) -> None:
    """One frame with a 40 px face per track; aligned crops are filled with their quality x 100."""
    n = len(track_ids)
    boxes = np.array([[50 + 60 * i, 50, 90 + 60 * i, 90] for i in range(n)], np.float32)
    faces = Faces(
        boxes=boxes.reshape(n, 4),
        scores=np.ones(n, np.float32),
        landmarks=np.zeros((n, 5, 2), np.float32),
        track_ids=np.array(track_ids, np.int64),
    )
    score = np.array(qualities, np.float32)
    report = QualityReport(
        face_px=faces.heights_px,
        sharpness=score,
        frontal=score,
        score=score,
        passed=np.array(passed if passed is not None else [True] * n, bool),
        reasons=tuple("" for _ in range(n)),
    )
    aligned = np.stack([np.full((112, 112, 3), round(q * 100), np.uint8) for q in qualities])
    book.observe(frame, faces, report, aligned)


def test_keeps_only_the_best_shots_by_quality() -> None:
    book = TrackBook(shots_per_track=3)
    qualities = [0.3, 0.9, 0.1, 0.5, 0.7, 0.2, 0.6]
    for k, quality in enumerate(qualities):
        _observe(book, _frame(k / 10), [1], [quality])

    (track,) = book.take([1])

    assert sorted(track.qualities) == pytest.approx([0.6, 0.7, 0.9])
    assert sorted(int(crop[0, 0, 0]) for crop in track.aligned) == [60, 70, 90]
    assert track.frames == len(qualities)


def test_shots_keep_their_face_height_with_their_crop() -> None:
    book = TrackBook(shots_per_track=1)
    _observe(book, _frame(0.0), [1], [0.4])
    _observe(book, _frame(0.1), [1], [0.8])

    (track,) = book.take([1])

    assert track.qualities == pytest.approx([0.8])
    assert track.face_px == [40.0]
    assert int(track.aligned[0][0, 0, 0]) == 80


def test_evidence_crop_comes_from_the_best_shot() -> None:
    book = TrackBook(shots_per_track=2)
    for k, quality in enumerate([0.4, 0.95, 0.6, 0.5]):
        _observe(book, _frame(k / 10, value=10 * (k + 1)), [1], [quality])

    (track,) = book.take([1])

    assert track.evidence is not None
    assert np.all(track.evidence == 20), "the crop must come from the frame of the 0.95 shot"
    assert track.evidence_quality == pytest.approx(0.95)


def test_track_records_its_time_span_and_camera() -> None:
    book = TrackBook()
    for timestamp_s in (1.0, 1.2, 1.4, 2.0):
        _observe(book, _frame(timestamp_s), [7], [0.5])

    (track,) = book.take([7])

    assert (track.track_id, track.camera_id) == (7, "cam")
    assert (track.first_seen_s, track.last_seen_s) == (1.0, 2.0)
    assert track.frames == 4


def test_frames_that_fail_the_gate_extend_the_track_but_give_no_shot() -> None:
    book = TrackBook()
    _observe(book, _frame(0.0), [1], [0.5])
    _observe(book, _frame(0.5), [1], [0.99], passed=[False])

    (track,) = book.take([1])

    assert track.qualities == pytest.approx([0.5])
    assert (track.last_seen_s, track.frames) == (0.5, 2)


def test_track_without_a_passed_shot_is_not_returned() -> None:
    book = TrackBook()
    _observe(book, _frame(0.0), [1, 2], [0.5, 0.9], passed=[True, False])
    _observe(book, _frame(0.1), [1, 2], [0.5, 0.9], passed=[True, False])

    taken = book.take([1, 2])

    assert [t.track_id for t in taken] == [1]
    assert len(book) == 0, "a track taken without shots is still removed"


def test_untracked_faces_are_ignored() -> None:
    book = TrackBook()
    _observe(book, _frame(0.0), [-1, 3], [0.9, 0.5])

    assert len(book) == 1
    assert [t.track_id for t in book.take([-1, 3])] == [3]


def test_take_removes_only_the_named_tracks_and_ignores_unknown_ids() -> None:
    book = TrackBook()
    _observe(book, _frame(0.0), [1, 2], [0.5, 0.6])

    taken = book.take([2, 42])

    assert [t.track_id for t in taken] == [2]
    assert len(book) == 1
    assert book.take([2]) == []


def test_forget_except_drops_stale_tracks() -> None:
    book = TrackBook()
    _observe(book, _frame(0.0), [1, 2, 3], [0.5, 0.6, 0.7])

    dropped = book.forget_except([2, 9])

    assert dropped == 2
    assert len(book) == 1
    assert [t.track_id for t in book.take([1, 2, 3])] == [2]


def test_evidence_crop_adds_context_around_the_face() -> None:
    image = np.zeros((400, 400, 3), np.uint8)

    crop = evidence_crop(image, np.array([100, 100, 150, 160]), margin=0.6)

    # 50 x 60 face with 30 px / 36 px of context each side.
    assert crop.shape == (133, 111, 3)


@pytest.mark.parametrize(
    "box", [[-30, -30, 20, 20], [370, 270, 420, 320], [-10, 150, 410, 200], [0, 0, 400, 300]]
)
def test_evidence_crop_is_clamped_to_the_image(box: list[float]) -> None:
    image = np.zeros((300, 400, 3), np.uint8)

    crop = evidence_crop(image, np.array(box, np.float32))

    assert 0 < crop.shape[0] <= 300
    assert 0 < crop.shape[1] <= 400
    x1, y1, x2, y2 = box
    visible_w, visible_h = min(x2, 400) - max(x1, 0), min(y2, 300) - max(y1, 0)
    assert crop.shape[0] >= visible_h and crop.shape[1] >= visible_w, "the face itself is kept"


def test_evidence_crop_at_the_corner_keeps_the_corner_pixel() -> None:
    image = np.zeros((300, 400, 3), np.uint8)
    image[0, 0] = 255

    crop = evidence_crop(image, np.array([0, 0, 40, 40], np.float32))

    assert crop[0, 0].tolist() == [255, 255, 255]
    assert crop.shape == (65, 65, 3)


def test_evidence_crop_of_a_large_face_is_scaled_to_the_height_cap() -> None:
    image = np.zeros((1000, 1400, 3), np.uint8)

    crop = evidence_crop(image, np.array([400, 200, 700, 600], np.float32))

    # The face with context spans x 220..881 and y 0..841 (clamped at the top), so 661 x 841 px,
    # scaled to 320 px high keeping its aspect ratio.
    assert crop.shape[0] == EVIDENCE_MAX_PX == 320
    expected_width = round(661 * 320 / 841)
    assert abs(crop.shape[1] - expected_width) <= 1
    assert crop.flags["C_CONTIGUOUS"]


def test_a_track_in_view_long_enough_is_reported_while_it_goes_on_every_so_often() -> None:
    book = TrackBook(shots_per_track=2)
    _observe(book, _frame(0.0), [1, 2], [0.5, 0.6])
    _observe(book, _frame(1.0), [1], [0.7])

    assert book.lingering(3.9, after_s=4.0) == []
    interim = {t.track_id: t for t in book.lingering(4.0, after_s=4.0)}
    assert sorted(interim) == [1, 2]
    assert book.lingering(33.9, after_s=4.0, every_s=30.0) == []  # reported at 4.0

    _observe(book, _frame(5.0), [1], [0.9])
    (final,) = book.take([1])  # the final sighting has the better shot that came later
    assert sorted(final.qualities) == pytest.approx([0.7, 0.9])
    assert sorted(interim[1].qualities) == pytest.approx([0.5, 0.7])  # a copy, not changed
    # Still in view 30 s after the last report: reported again, with what it has now.
    (again,) = book.lingering(34.0, after_s=4.0, every_s=30.0)
    assert again.track_id == 2


def test_a_track_without_a_gated_shot_is_not_reported_early() -> None:
    book = TrackBook()
    _observe(book, _frame(0.0), [1], [0.5], passed=[False])

    assert book.lingering(10.0, after_s=4.0) == []
