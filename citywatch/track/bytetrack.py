"""A ByteTrack-style face tracker: Kalman prediction in seconds, two-stage association.

Per frame, every live track's box is predicted to the frame's timestamp by a constant-velocity
Kalman filter, then detections are assigned in three passes, each greedy on a cost matrix:

1. high-score detections (`score >= high_score`) against confirmed tracks, lost ones included;
2. low-score detections (`low_score <= score < high_score`) against the confirmed tracks still
   unmatched: a blurred or half-turned face keeps its track alive, but is never trusted enough to
   start one (the ByteTrack idea);
3. the high-score detections still unmatched against tentative tracks, so that a one-frame false
   positive cannot steal a detection from an established track;

and whatever high-score detection is left starts a new tentative track.

A pair is allowed when its IoU is at least `min_iou`, or, failing that, when the detection's centre
lies within `max_center_distance` predicted box heights of the predicted centre. The fallback exists
because faces are small: at 5 fps a 30 px face that starts walking moves more than its own width
between frames, so the IoU with any prediction is zero. IoU pairs always win over fallback pairs.

Time is in seconds, never frames: the filter's time step is the gap between timestamps, so the same
settings work at 25 fps, at 5 fps and on a sampler that drops frames unevenly.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from citywatch.errors import ConfigError, SourceError
from citywatch.types import TIME_TOLERANCE_S, Faces

Array = npt.NDArray[np.float64]

# Noise of the filter, in box heights so that it scales with the face. The values are ByteTrack's
# per-frame noise at 30 fps turned into per-second rates (a random walk grows with sqrt(time)), so a
# track behaves the same whatever the frame rate.
_MEASUREMENT_STD = 0.05  # detector jitter of a box edge, heights
_POSITION_NOISE = 0.3  # heights per sqrt(second)
_VELOCITY_NOISE = 2.0  # heights per second per sqrt(second)
_INITIAL_VELOCITY_STD = 10.0  # heights per second: a walking face crosses the frame in ~2 s
# The centre-distance fallback pairs boxes of similar size only: a big face's prediction must not
# swallow a small false detection (an ear, a poster) that happens to sit near its centre.
_MAX_FALLBACK_SIZE_RATIO = 2.0
_MIN_SIDE_PX = 1.0

# The filter state is (cx, cy, w, h) and their velocities in px/s; we observe (cx, cy, w, h).
_OBSERVE = np.hstack([np.eye(4), np.zeros((4, 4))])


def _to_cxcywh(box: Array) -> Array:
    width = max(float(box[2] - box[0]), _MIN_SIDE_PX)
    height = max(float(box[3] - box[1]), _MIN_SIDE_PX)
    return np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2, width, height])


class _BoxFilter:
    """A constant-velocity Kalman filter on one face box.

    Width and height are filtered separately rather than as an aspect ratio: face boxes keep their
    shape, and a separate height gives the noise scale directly.
    """

    __slots__ = ("covariance", "mean")

    def __init__(self, box: Array) -> None:
        measured = _to_cxcywh(box)
        height = measured[3]
        self.mean: Array = np.concatenate([measured, np.zeros(4)])
        position_std = 2 * _MEASUREMENT_STD * height
        velocity_std = _INITIAL_VELOCITY_STD * height
        self.covariance: Array = np.diag(
            np.square([position_std] * 4 + [velocity_std] * 4).astype(np.float64)
        )

    def predict(self, dt_s: float) -> None:
        if dt_s <= 0:
            return
        transition = np.eye(8)
        transition[:4, 4:] = dt_s * np.eye(4)
        height = max(float(self.mean[3]), _MIN_SIDE_PX)
        noise = np.square([_POSITION_NOISE * height] * 4 + [_VELOCITY_NOISE * height] * 4) * dt_s
        self.mean = transition @ self.mean
        self.mean[2:4] = np.maximum(self.mean[2:4], _MIN_SIDE_PX)
        self.covariance = transition @ self.covariance @ transition.T + np.diag(noise)

    def update(self, box: Array) -> None:
        measured = _to_cxcywh(box)
        height = max(float(self.mean[3]), _MIN_SIDE_PX)
        measurement_noise = np.diag(np.full(4, (_MEASUREMENT_STD * height) ** 2))
        innovation_covariance = _OBSERVE @ self.covariance @ _OBSERVE.T + measurement_noise
        gain = np.linalg.solve(innovation_covariance, _OBSERVE @ self.covariance).T
        self.mean = self.mean + gain @ (measured - _OBSERVE @ self.mean)
        self.mean[2:4] = np.maximum(self.mean[2:4], _MIN_SIDE_PX)
        covariance = self.covariance - gain @ _OBSERVE @ self.covariance
        self.covariance = (covariance + covariance.T) / 2

    def hold_size(self) -> None:
        """Stop growing or shrinking while unseen: a size trend extrapolated blind soon explodes."""
        self.mean[6:8] = 0.0

    def box(self) -> Array:
        cx, cy, width, height = self.mean[:4]
        return np.array([cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2])


@dataclass(slots=True)
class _Track:
    track_id: int
    motion: _BoxFilter
    last_seen_s: float
    hits: int = 1
    confirmed: bool = False


def _iou(a: Array, b: Array) -> Array:
    """IoU of every box in `a` (m, 4) with every box in `b` (n, 4), xyxy."""
    left = np.maximum(a[:, None, 0], b[None, :, 0])
    top = np.maximum(a[:, None, 1], b[None, :, 1])
    right = np.minimum(a[:, None, 2], b[None, :, 2])
    bottom = np.minimum(a[:, None, 3], b[None, :, 3])
    overlap = np.clip(right - left, 0, None) * np.clip(bottom - top, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - overlap
    return np.where(union > 0, overlap / np.maximum(union, 1e-9), 0.0)


def _greedy_match(costs: Array) -> list[tuple[int, int]]:
    """Pairs (row, column) taken cheapest first; `inf` marks a forbidden pair.

    Greedy instead of Hungarian: with a handful of faces per frame and gated costs the two almost
    never differ, and greedy is a few lines of numpy with no extra dependency.
    """
    rows, columns = np.nonzero(np.isfinite(costs))
    order = np.argsort(costs[rows, columns], kind="stable")
    used_rows: set[int] = set()
    used_columns: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for row, column in zip(rows[order].tolist(), columns[order].tolist(), strict=True):
        if row in used_rows or column in used_columns:
            continue
        used_rows.add(row)
        used_columns.add(column)
        pairs.append((row, column))
    return pairs


class ByteTracker:
    """Assigns track ids to faces frame by frame.

    Ids are positive, increase, and are never reused by one tracker. A new track is tentative until
    it has been matched `min_hits` times (the first detection counts); tentative tracks already get
    their id in `update`'s result so that the caller can keep their first shots, but one that ends
    before it is confirmed is dropped silently: its id leaves `active_ids()` and never appears in
    `finished()` or `flush()`, so the caller should discard what it kept for it. There is no
    exception for the first frames of a source: a face seen once and never again is as likely a
    false positive at the start as anywhere else.

    A track, tentative or confirmed, ends when no detection has matched it for more than
    `max_track_age_s` seconds. Faces get -1 when they are below `low_score`, when they are
    low-score and match no confirmed track, or when their box is not finite.

    Args:
        high_score: detections at or above this may start tracks and are matched first.
        low_score: detections from here up to `high_score` only extend confirmed tracks.
        min_iou: smallest IoU between a predicted box and a detection to pair them by overlap.
        max_track_age_s: how long a track may go unseen before it ends.
        min_hits: matched detections needed to confirm a track; 1 confirms at once.
        max_center_distance: the fallback gate, in predicted box heights, for pairs whose IoU is
            below `min_iou`; 0 turns the fallback off.

    Raises:
        ConfigError: an option is out of range.
    """

    def __init__(
        self,
        high_score: float = 0.6,
        low_score: float = 0.3,
        min_iou: float = 0.2,
        max_track_age_s: float = 1.0,
        min_hits: int = 2,
        max_center_distance: float = 1.0,
    ) -> None:
        if not 0.0 <= low_score <= high_score <= 1.0:
            raise ConfigError(
                f"scores must satisfy 0 <= low_score <= high_score <= 1, "
                f"got low_score={low_score}, high_score={high_score}"
            )
        if not 0.0 < min_iou <= 1.0:
            raise ConfigError(f"min_iou must be in (0, 1], got {min_iou}")
        if not max_track_age_s >= 0.0:
            raise ConfigError(f"max_track_age_s must be >= 0 seconds, got {max_track_age_s}")
        if min_hits < 1:
            raise ConfigError(f"min_hits must be >= 1, got {min_hits}")
        if not max_center_distance >= 0.0:
            raise ConfigError(f"max_center_distance must be >= 0, got {max_center_distance}")
        self.high_score = high_score
        self.low_score = low_score
        self.min_iou = min_iou
        self.max_track_age_s = max_track_age_s
        self.min_hits = min_hits
        self.max_center_distance = max_center_distance
        self._tracks: list[_Track] = []
        self._finished: list[int] = []
        self._last_id = 0
        self._last_timestamp_s: float | None = None

    def update(self, faces: Faces, timestamp_s: float) -> Faces:
        """Track one frame's faces.

        Args:
            faces: the frame's detections.
            timestamp_s: the frame's time in seconds; must never decrease.

        Returns:
            The same faces in the same order with `track_ids` filled; the other columns are shared
            with `faces`, not copied.

        Raises:
            SourceError: the timestamp is not finite or goes backwards.
        """
        dt_s = self._advance_clock(timestamp_s)
        self._end_tracks(
            lambda track: timestamp_s - track.last_seen_s > self.max_track_age_s + TIME_TOLERANCE_S
        )
        for track in self._tracks:
            track.motion.predict(dt_s)

        boxes = faces.boxes.astype(np.float64)
        scores = faces.scores.astype(np.float64)
        usable = np.isfinite(boxes).all(axis=1) & np.isfinite(scores)
        high = np.flatnonzero(usable & (scores >= self.high_score))
        low = np.flatnonzero(usable & (scores >= self.low_score) & (scores < self.high_score))
        confirmed = [track for track in self._tracks if track.confirmed]
        tentative = [track for track in self._tracks if not track.confirmed]

        first, confirmed_left, high_left = self._associate(confirmed, boxes, high)
        second, _, _ = self._associate(confirmed_left, boxes, low)
        third, _, new = self._associate(tentative, boxes, high_left)

        track_ids = np.full(len(faces), -1, dtype=np.int64)
        matched: set[int] = set()
        for track, row in first + second + third:
            track.motion.update(boxes[row])
            track.last_seen_s = timestamp_s
            track.hits += 1
            track.confirmed = track.confirmed or track.hits >= self.min_hits
            track_ids[row] = track.track_id
            matched.add(track.track_id)
        for track in self._tracks:
            if track.track_id not in matched:
                track.motion.hold_size()
        for row in new.tolist():
            self._last_id += 1
            self._tracks.append(
                _Track(
                    track_id=self._last_id,
                    motion=_BoxFilter(boxes[row]),
                    last_seen_s=timestamp_s,
                    confirmed=self.min_hits <= 1,
                )
            )
            track_ids[row] = self._last_id
        return dataclasses.replace(faces, track_ids=track_ids)

    def finished(self) -> list[int]:
        """Ids of confirmed tracks that ended since the last call, oldest first; clears them."""
        ended, self._finished = self._finished, []
        return ended

    def active_ids(self) -> list[int]:
        """Ids of the live tracks, tentative ones included, since `update` hands those out too."""
        return [track.track_id for track in self._tracks]

    def flush(self) -> list[int]:
        """End every track (the source is over) and return what `finished()` would have.

        That is the confirmed tracks ended earlier but not yet collected, then the live confirmed
        ones, so a caller at the end of a source needs only this call. Ids keep counting up if the
        tracker is used again.
        """
        self._end_tracks(lambda track: True)
        return self.finished()

    def _advance_clock(self, timestamp_s: float) -> float:
        if not math.isfinite(timestamp_s):
            raise SourceError(
                f"frame timestamp must be a finite number of seconds, got {timestamp_s}"
            )
        previous = self._last_timestamp_s
        if previous is not None and timestamp_s < previous:
            raise SourceError(
                f"frame timestamps must not go backwards: got {timestamp_s} s after {previous} s; "
                "the frame source should give presentation times that never decrease"
            )
        self._last_timestamp_s = timestamp_s
        return 0.0 if previous is None else timestamp_s - previous

    def _end_tracks(self, should_end: Callable[[_Track], bool]) -> None:
        keep: list[_Track] = []
        for track in self._tracks:
            if not should_end(track):
                keep.append(track)
            elif track.confirmed:
                self._finished.append(track.track_id)
        self._tracks = keep

    def _associate(
        self, tracks: list[_Track], boxes: Array, rows: npt.NDArray[np.intp]
    ) -> tuple[list[tuple[_Track, int]], list[_Track], npt.NDArray[np.intp]]:
        """Pair `tracks` with the detections `boxes[rows]`.

        Returns:
            The pairs (track, detection row), the unmatched tracks, the unmatched rows.
        """
        if not tracks or len(rows) == 0:
            return [], tracks, rows
        predicted = np.stack([track.motion.box() for track in tracks])
        detections = boxes[rows]
        overlap = _iou(predicted, detections)
        # Overlap pairs cost 1 - IoU, in [0, 1); fallback pairs cost 1 + distance, so any pair that
        # overlaps enough beats every pair that is merely close.
        costs = np.where(overlap >= self.min_iou, 1.0 - overlap, np.inf)
        if self.max_center_distance > 0:
            predicted_height = predicted[:, 3] - predicted[:, 1]
            detection_height = np.maximum(detections[:, 3] - detections[:, 1], _MIN_SIDE_PX)
            centre_gap = np.linalg.norm(
                (predicted[:, None, :2] + predicted[:, None, 2:]) / 2
                - (detections[None, :, :2] + detections[None, :, 2:]) / 2,
                axis=2,
            )
            distance = centre_gap / predicted_height[:, None]
            size_ratio = predicted_height[:, None] / detection_height[None, :]
            close = (
                (overlap < self.min_iou)
                & (distance <= self.max_center_distance)
                & (size_ratio <= _MAX_FALLBACK_SIZE_RATIO)
                & (size_ratio >= 1 / _MAX_FALLBACK_SIZE_RATIO)
            )
            costs = np.where(close, 1.0 + distance, costs)
        pairs = _greedy_match(costs)
        matched_tracks = {track_index for track_index, _ in pairs}
        matched_rows = {column for _, column in pairs}
        return (
            [(tracks[track_index], int(rows[column])) for track_index, column in pairs],
            [track for index, track in enumerate(tracks) if index not in matched_tracks],
            np.array(
                [row for column, row in enumerate(rows.tolist()) if column not in matched_rows],
                dtype=np.intp,
            ),
        )
