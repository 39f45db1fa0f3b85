"""Behaviour of the ByteTrack-style tracker on synthetic detections.

Boxes are built from centres and sizes in pixels; scenes are sequences of (timestamp_s, faces).
Where a scenario only makes sense if the tracker uses motion prediction or the centre-distance
fallback, the test turns the other mechanism off so that the one under test cannot be bypassed.
"""

from __future__ import annotations

import numpy as np
import pytest

from citywatch.errors import ConfigError, SourceError
from citywatch.track import ByteTracker, Tracker
from citywatch.types import Faces

Box = tuple[float, float, float, float]


def _box(cx: float, cy: float, width: float = 30.0, height: float = 40.0) -> Box:
    return (cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)


def _faces(boxes: list[Box], scores: list[float] | None = None) -> Faces:
    n = len(boxes)
    return Faces(
        boxes=np.array(boxes, dtype=np.float32).reshape(n, 4),
        scores=np.array(scores if scores is not None else [0.9] * n, dtype=np.float32),
        landmarks=np.zeros((n, 5, 2), np.float32),
    )


def _track(tracker: ByteTracker, timestamp_s: float, boxes: list[Box], *scores: float) -> list[int]:
    """Feed one frame and return its track ids as plain ints."""
    result = tracker.update(_faces(boxes, list(scores) if scores else None), timestamp_s)
    return [int(track_id) for track_id in result.track_ids]


def _iou(a: Box, b: Box) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    overlap = width * height
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - overlap
    return overlap / area


def test_byte_tracker_satisfies_the_tracker_protocol() -> None:
    tracker: Tracker = ByteTracker()
    assert tracker.update(Faces.empty(), 0.0).track_ids.shape == (0,)


def test_update_returns_the_same_rows_in_the_same_order() -> None:
    tracker = ByteTracker()
    faces = _faces([_box(100, 100), _box(300, 100), _box(500, 100)], [0.9, 0.1, 0.7])
    faces.quality[:] = [0.5, 0.6, 0.7]

    result = tracker.update(faces, 0.0)

    np.testing.assert_array_equal(result.boxes, faces.boxes)
    np.testing.assert_array_equal(result.scores, faces.scores)
    np.testing.assert_array_equal(result.quality, faces.quality)
    assert result.track_ids.dtype == np.int64
    assert result.track_ids.tolist() == [1, -1, 2]
    assert faces.track_ids.tolist() == [-1, -1, -1], "the input faces must not be modified"


@pytest.mark.parametrize("fps", [5.0, 10.0, 25.0])
def test_track_survives_two_missed_frames(fps: float) -> None:
    # Moving at 100 px/s a 30 px wide face is a whole width away after two missed frames at 5 fps,
    # so with the fallback off only the prediction through the gap can keep its id.
    tracker = ByteTracker(max_center_distance=0.0)
    speed_px_s = 100.0
    seen = [0, 1, 2, 3, 6, 7]  # frames 4 and 5 are missed
    ids = [_track(tracker, k / fps, [_box(100 + speed_px_s * k / fps, 200)]) for k in seen]

    assert len({tuple(frame) for frame in ids}) == 1, ids
    assert ids[0][0] > 0
    assert tracker.finished() == []
    assert tracker.active_ids() == ids[0]


@pytest.mark.parametrize(
    ("max_track_age_s", "gap_s", "survives"),
    [(1.0, 0.8, True), (1.0, 1.0, True), (1.0, 1.2, False), (0.5, 0.6, False), (2.0, 1.8, True)],
)
@pytest.mark.parametrize("empty_frames_in_gap", [False, True])
def test_track_ends_after_max_age(
    max_track_age_s: float, gap_s: float, survives: bool, empty_frames_in_gap: bool
) -> None:
    tracker = ByteTracker(max_track_age_s=max_track_age_s)
    first = _track(tracker, 0.0, [_box(200, 200)])
    assert _track(tracker, 0.2, [_box(200, 200)]) == first
    if empty_frames_in_gap:
        for timestamp_s in np.arange(0.3, 0.2 + gap_s, 0.1):
            assert tracker.update(Faces.empty(), float(timestamp_s)).track_ids.shape == (0,)

    again = _track(tracker, 0.2 + gap_s, [_box(200, 200)])

    if survives:
        assert again == first
        assert tracker.finished() == []
    else:
        assert again[0] > first[0]
        assert tracker.finished() == first
        assert tracker.active_ids() == again


@pytest.mark.parametrize(("fps", "speed_px_s"), [(5.0, 150.0), (10.0, 200.0), (25.0, 150.0)])
def test_two_crossing_faces_keep_their_ids(fps: float, speed_px_s: float) -> None:
    # A walks right, B walks left, 12 px lower; their boxes overlap for several frames around the
    # crossing, where at low fps the nearest last-seen box belongs to the other face: only the
    # velocity tells them apart.
    tracker = ByteTracker()
    ids_a: list[int] = []
    ids_b: list[int] = []
    for k in range(int(2.0 * fps) + 1):
        t = k / fps
        box_a = _box(100 + speed_px_s * t, 200)
        box_b = _box(100 + 2 * speed_px_s * 1.05 - speed_px_s * t, 212)
        # Alternate the row order so that it cannot carry the identity.
        if k % 2:
            id_b, id_a = _track(tracker, t, [box_b, box_a])
        else:
            id_a, id_b = _track(tracker, t, [box_a, box_b])
        ids_a.append(id_a)
        ids_b.append(id_b)

    assert set(ids_a) == {ids_a[0]}, ids_a
    assert set(ids_b) == {ids_b[0]}, ids_b
    assert ids_a[0] != ids_b[0]


def test_adjacent_faces_keep_their_ids_when_the_fallback_could_pair_either() -> None:
    # 36 px apart with 40 px tall boxes: each face is within the fallback distance of the other's
    # track, but its own track overlaps it, and an overlap pair always wins.
    tracker = ByteTracker(max_center_distance=1.5)
    rng = np.random.default_rng(7)
    first = _track(tracker, 0.0, [_box(200, 200), _box(236, 200)])
    for k in range(1, 20):
        jitter = rng.normal(0.0, 2.0, size=4)
        boxes = [_box(200 + jitter[0], 200 + jitter[1]), _box(236 + jitter[2], 200 + jitter[3])]
        assert _track(tracker, k * 0.2, boxes) == first


@pytest.mark.parametrize("score", [0.3, 0.45, 0.59])
def test_low_score_detection_extends_existing_track_but_never_starts_one(score: float) -> None:
    tracker = ByteTracker(high_score=0.6, low_score=0.3, max_track_age_s=1.0)
    confirmed = _track(tracker, 0.0, [_box(200, 200)])
    assert _track(tracker, 0.2, [_box(202, 200)]) == confirmed
    # For two seconds, twice the age limit, the face is only seen at low score, next to a
    # low-score detection where no track exists.
    for k in range(2, 13):
        ids = _track(tracker, k * 0.2, [_box(200 + 2 * k, 200), _box(500, 200)], score, score)
        assert ids == [confirmed[0], -1]

    assert tracker.finished() == []
    assert tracker.active_ids() == confirmed
    assert tracker.flush() == confirmed


def test_low_score_detection_does_not_confirm_a_tentative_track() -> None:
    tracker = ByteTracker(min_hits=2)
    tentative = _track(tracker, 0.0, [_box(200, 200)])
    assert _track(tracker, 0.2, [_box(200, 200)], 0.4) == [-1]
    assert tracker.flush() == [], "one high-score hit must not confirm a track"
    assert tentative[0] > 0


@pytest.mark.parametrize("score", [0.0, 0.1, 0.29])
def test_detection_below_low_score_is_ignored(score: float) -> None:
    tracker = ByteTracker(low_score=0.3, max_track_age_s=1.0)
    confirmed = _track(tracker, 0.0, [_box(200, 200)])
    _track(tracker, 0.2, [_box(200, 200)])
    for k in range(2, 10):
        assert _track(tracker, k * 0.2, [_box(200, 200)], score) == [-1]
    assert tracker.finished() == confirmed, "ignored detections must not keep a track alive"


@pytest.mark.parametrize(
    ("boxes", "max_center_distance", "keeps_id"),
    [
        # Still for three frames at 5 fps, then one 18 px step: a 16x24 face shares no pixel with
        # where it was, but its centre moved only 0.75 of its height.
        ([_box(100, 100, 16, 24)] * 3 + [_box(118, 100, 16, 24)], 1.0, True),
        ([_box(100, 100, 16, 24)] * 3 + [_box(118, 100, 16, 24)], 0.5, False),
        ([_box(100, 100, 16, 24)] * 3 + [_box(118, 100, 16, 24)], 0.0, False),
        # Walking 22 px per frame from the start: the second frame has no velocity to go on yet.
        ([_box(100 + 22 * k, 100, 20, 24) for k in range(6)], 1.0, True),
        ([_box(100 + 22 * k, 100, 20, 24) for k in range(6)], 0.0, False),
        # A jump of 1.5 heights is too far for the default gate.
        ([_box(100, 100, 16, 24)] * 3 + [_box(100, 136, 16, 24)], 1.0, False),
        ([_box(100, 100, 16, 24)] * 3 + [_box(100, 136, 16, 24)], 2.0, True),
    ],
)
def test_fast_small_face_at_low_fps_keeps_id_via_center_distance(
    boxes: list[Box], max_center_distance: float, keeps_id: bool
) -> None:
    assert any(_iou(a, b) == 0.0 for a, b in zip(boxes, boxes[1:], strict=False)), "bad scenario"
    tracker = ByteTracker(max_center_distance=max_center_distance)

    ids = [_track(tracker, k * 0.2, [box])[0] for k, box in enumerate(boxes)]

    assert all(track_id > 0 for track_id in ids)
    assert (len(set(ids)) == 1) is keeps_id, ids


def test_center_distance_fallback_ignores_a_much_smaller_box() -> None:
    # A 10 px detection near the centre of a 60 px face's track (an ear, a badge) is not that face.
    tracker = ByteTracker(max_center_distance=1.0)
    face = _track(tracker, 0.0, [_box(200, 200, 45, 60)])
    _track(tracker, 0.2, [_box(200, 200, 45, 60)])
    assert _track(tracker, 0.4, [_box(215, 215, 8, 10)]) != face


@pytest.mark.parametrize(("min_iou", "keeps_id"), [(0.2, True), (0.4, True), (0.6, False)])
def test_min_iou_gates_overlap_pairs(min_iou: float, keeps_id: bool) -> None:
    before, after = _box(200, 200, 40, 40), _box(216, 200, 40, 40)
    assert 0.4 < _iou(before, after) < 0.6
    tracker = ByteTracker(min_iou=min_iou, max_center_distance=0.0)
    first = _track(tracker, 0.0, [before])
    _track(tracker, 0.2, [before])
    assert (_track(tracker, 0.4, [after]) == first) is keeps_id


@pytest.mark.parametrize(
    ("timestamps_s", "speed_px_s"),
    [
        # 25 fps with stalls of 0.3 s: the stalls move the face 60 px, three times its width.
        ([0.0, 0.04, 0.08, 0.38, 0.42, 0.72, 0.76, 1.0], 200.0),
        ([0.0, 0.04, 0.08, 0.12, 0.32, 0.36, 0.66, 0.7, 1.0], 200.0),
        # 5 fps with dropped frames: the 0.6 s gap moves it 36 px, three frames' worth.
        ([0.0, 0.2, 0.4, 0.8, 1.0, 1.6, 1.8, 2.0], 60.0),
    ],
)
def test_irregular_timestamps_predict_motion_in_seconds(
    timestamps_s: list[float], speed_px_s: float
) -> None:
    # A 20 px wide face at constant speed. A prediction per frame instead of per second would land
    # short after every long gap, with no overlap left; the fallback is off to leave no way round.
    tracker = ByteTracker(max_center_distance=0.0)
    boxes = [_box(100 + speed_px_s * t, 100, 20, 24) for t in timestamps_s]
    ids = [_track(tracker, t, [box])[0] for t, box in zip(timestamps_s, boxes, strict=True)]
    assert len(set(ids)) == 1, ids
    assert ids[0] > 0


def test_repeated_timestamp_is_accepted_and_going_backwards_is_rejected() -> None:
    tracker = ByteTracker()
    first = _track(tracker, 1.0, [_box(200, 200)])
    assert _track(tracker, 1.0, [_box(200, 200)]) == first
    with pytest.raises(SourceError, match="backwards"):
        tracker.update(Faces.empty(), 0.5)
    with pytest.raises(SourceError, match="finite"):
        tracker.update(Faces.empty(), float("nan"))


@pytest.mark.parametrize("empty_frames", [0, 1, 10])
def test_empty_frames_return_empty_ids_and_age_tracks(empty_frames: int) -> None:
    tracker = ByteTracker(max_track_age_s=1.0)
    for k in range(empty_frames):
        result = tracker.update(Faces.empty(), k * 0.2)
        assert len(result) == 0
        assert result.track_ids.shape == (0,)
    start = empty_frames * 0.2
    first = _track(tracker, start, [_box(200, 200)])
    _track(tracker, start + 0.2, [_box(200, 200)])
    assert first == [1], "empty frames must not use up ids"

    for k in range(2, 8):  # 1.2 s of empty frames: past the age limit
        tracker.update(Faces.empty(), start + k * 0.2)

    assert tracker.finished() == first
    assert tracker.active_ids() == []


def test_ids_are_never_reused() -> None:
    tracker = ByteTracker(max_track_age_s=0.5)
    handed_out: list[int] = []
    ended: list[int] = []
    t = 0.0
    for round_index in range(6):
        # The same spot every round, so that a tracker that recycled ids would be tempted to.
        frames = 1 if round_index == 2 else 3  # round 2 is a tentative track that gets dropped
        for _ in range(frames):
            handed_out.extend(_track(tracker, t, [_box(200, 200), _box(400, 200)]))
            t += 0.2
        t += 1.0  # longer than the age limit: every track ends
        tracker.update(Faces.empty(), t)
        ended.extend(tracker.finished())

    distinct = list(dict.fromkeys(handed_out))
    assert distinct == sorted(distinct), "ids must increase"
    assert len(distinct) == 12, "two new ids per round, none reused"
    assert all(track_id > 0 for track_id in distinct)
    assert sorted(ended) == [i for i in distinct if i not in (5, 6)], (
        "the tentative pair is dropped"
    )
    assert len(ended) == len(set(ended)), "each id finishes once"


def test_ids_count_per_tracker_instance() -> None:
    one, two = ByteTracker(), ByteTracker()
    assert _track(one, 0.0, [_box(100, 100), _box(300, 100)]) == [1, 2]
    assert _track(two, 0.0, [_box(100, 100)]) == [1]
    assert _track(one, 0.2, [_box(500, 100)]) == [3]


@pytest.mark.parametrize(
    ("min_hits", "expected"),
    [(1, ["ended", "a", "b"]), (2, ["ended", "a"]), (4, [])],
)
def test_flush_returns_confirmed_tracks_only(min_hits: int, expected: list[str]) -> None:
    tracker = ByteTracker(min_hits=min_hits, max_track_age_s=0.5)
    names: dict[str, int] = {}
    # "ended" is seen three times, then times out without anyone calling finished().
    for k in range(3):
        (names["ended"],) = _track(tracker, k * 0.2, [_box(600, 300)])
    # "a" is seen three times, "b" only in the last frame.
    for k in range(6, 8):
        (names["a"],) = _track(tracker, k * 0.2, [_box(100, 100)])
    names["a"], names["b"] = _track(tracker, 1.6, [_box(100, 100), _box(300, 100)])

    assert tracker.flush() == [names[name] for name in expected]
    assert tracker.active_ids() == []
    assert tracker.finished() == []
    assert tracker.flush() == []
    assert _track(tracker, 1.8, [_box(100, 100)])[0] > names["b"], "ids keep counting after flush"


@pytest.mark.parametrize("min_hits", [1, 2, 3])
@pytest.mark.parametrize("frames_seen", [1, 2, 3])
def test_tentative_track_gets_its_id_and_finishes_only_once_confirmed(
    min_hits: int, frames_seen: int
) -> None:
    tracker = ByteTracker(min_hits=min_hits, max_track_age_s=0.5)
    ids = [_track(tracker, k * 0.2, [_box(200, 200)]) for k in range(frames_seen)]
    assert all(frame == [1] for frame in ids), "tentative tracks get their id at once"
    assert tracker.active_ids() == [1]

    tracker.update(Faces.empty(), 2.0)

    assert tracker.active_ids() == []
    assert tracker.finished() == ([1] if frames_seen >= min_hits else [])


def test_faces_with_non_finite_boxes_get_no_track() -> None:
    tracker = ByteTracker()
    ids = _track(tracker, 0.0, [(np.nan, 0.0, 10.0, 10.0), _box(200, 200)])
    assert ids == [-1, 1]
    assert _track(tracker, 0.2, [_box(201, 200)]) == [1]


@pytest.mark.parametrize(
    "options",
    [
        {"high_score": 0.3, "low_score": 0.6},
        {"low_score": -0.1},
        {"high_score": 1.5},
        {"min_iou": 0.0},
        {"min_iou": 1.2},
        {"max_track_age_s": -1.0},
        {"min_hits": 0},
        {"max_center_distance": -0.5},
        {"max_center_distance": float("nan")},
    ],
)
def test_invalid_options_raise_config_error(options: dict[str, float]) -> None:
    with pytest.raises(ConfigError, match=next(iter(options))):
        ByteTracker(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize("clock_start_s", [0.0, 3.217, 1234.5678, 86_399.999])
def test_a_gap_of_exactly_max_age_ends_no_track_wherever_the_clock_started(
    clock_start_s: float,
) -> None:
    # Live frame times are the server clock at the stream's start plus presentation times: the
    # last bits of a 1 s difference depend on the start, and must not decide a track's fate.
    tracker = ByteTracker(max_track_age_s=1.0)
    first = _track(tracker, clock_start_s + 0.0, [_box(200, 200)])
    assert _track(tracker, clock_start_s + 0.5, [_box(200, 200)]) == first
    tracker.update(Faces.empty(), clock_start_s + 1.0)

    assert _track(tracker, clock_start_s + 1.5, [_box(200, 200)]) == first
    assert tracker.finished() == []
