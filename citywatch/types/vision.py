"""Pixels and faces: frames, columnar detections, sightings, scan counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]

IntArray = npt.NDArray[np.int64]

Image = npt.NDArray[np.uint8]
"""A BGR image, `(height, width, 3)` uint8, as OpenCV and PyAV's `bgr24` give it."""
TIME_TOLERANCE_S = 1e-6
"""Stream times closer than this are the same time. A live frame's time is the server clock at
the stream's start plus its presentation time, so the last bits of a difference between two
frame times depend on when the stream started: without a tolerance, a track unseen for exactly
`max_track_age_s` (frames on a 0.5 s grid, age 1 s) would end in one run and not in another."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded picture from a source.

    Attributes:
        image: BGR pixels.
        timestamp_s: seconds from the start of the source (presentation time).
        index: the frame's position in the decoded stream, counting from 0.
        camera_id: the camera (or file) the frame came from.
    """

    image: Image
    timestamp_s: float
    index: int
    camera_id: str

    @property
    def width_px(self) -> int:
        return int(self.image.shape[1])

    @property
    def height_px(self) -> int:
        return int(self.image.shape[0])


@dataclass(slots=True)
class Faces:
    """Faces found in one frame, stored column by column.

    Every array has the same first dimension `n`. `track_ids` is -1 until a tracker assigns one;
    `quality` is 0 until the quality gate scores it; `embeddings` is `None` until (and unless)
    the faces are embedded.
    """

    boxes: FloatArray
    scores: FloatArray
    landmarks: FloatArray
    track_ids: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    quality: FloatArray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    embeddings: FloatArray | None = None

    def __post_init__(self) -> None:
        n = len(self.boxes)
        self.boxes = np.asarray(self.boxes, dtype=np.float32).reshape(n, 4)
        self.scores = np.asarray(self.scores, dtype=np.float32).reshape(n)
        self.landmarks = np.asarray(self.landmarks, dtype=np.float32).reshape(n, 5, 2)
        if len(self.track_ids) != n:
            self.track_ids = np.full(n, -1, dtype=np.int64)
        if len(self.quality) != n:
            self.quality = np.zeros(n, dtype=np.float32)
        if self.embeddings is not None and len(self.embeddings) != n:
            raise ValueError(f"embeddings has {len(self.embeddings)} rows for {n} faces")

    @classmethod
    def empty(cls) -> Faces:
        return cls(
            boxes=np.zeros((0, 4), np.float32),
            scores=np.zeros(0, np.float32),
            landmarks=np.zeros((0, 5, 2), np.float32),
        )

    def __len__(self) -> int:
        return len(self.boxes)

    def __getitem__(
        self, index: int | np.integer | slice | npt.NDArray[np.bool_] | IntArray
    ) -> Faces:
        """Select faces by position, slice, boolean mask or index array; always returns `Faces`.

        A single position (Python or numpy integer, as `argmax` gives) keeps the face dimension.
        """
        if isinstance(index, int | np.integer):
            index = np.array([index])
        return Faces(
            boxes=self.boxes[index],
            scores=self.scores[index],
            landmarks=self.landmarks[index],
            track_ids=self.track_ids[index],
            quality=self.quality[index],
            embeddings=None if self.embeddings is None else self.embeddings[index],
        )

    @property
    def heights_px(self) -> FloatArray:
        return self.boxes[:, 3] - self.boxes[:, 1]

    @property
    def areas_px(self) -> FloatArray:
        return (self.boxes[:, 2] - self.boxes[:, 0]) * (self.boxes[:, 3] - self.boxes[:, 1])


@dataclass(frozen=True, slots=True)
class Sighting:
    """One person's pass in front of one camera: a finished track that passed the quality gate.

    Attributes:
        camera_id: where.
        track_id: the tracker's id, unique per camera run.
        first_seen_s / last_seen_s: seconds from the start of the source.
        crop: evidence picture (BGR), the face with some context, from the best frame.
        embedding: unit-length mean of the best shots' embeddings.
        quality: the best shot's quality score in [0, 1].
        face_px: the best shot's face height in pixels.
        shots: how many shots were embedded.
        frames: how many frames the track was seen in.
        started_at: wall-clock UTC time of the source's start, when known (live cameras).
    """

    camera_id: str
    track_id: int
    first_seen_s: float
    last_seen_s: float
    crop: Image
    embedding: FloatArray
    quality: float
    face_px: float
    shots: int
    frames: int
    started_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ScanSummary:
    """Counters for one scan: what was processed and how long it took."""

    frames: int
    faces: int
    tracks: int
    sightings: int
    alerts: int
    seconds: float


@dataclass(frozen=True, slots=True)
class ScanProgress:
    """Emitted while scanning: how far into which source."""

    camera_id: str
    frames: int
    position_s: float
    duration_s: float


@dataclass(frozen=True, slots=True)
class Comparison:
    """The outcome of comparing the main face of two photos."""

    similarity: float
    same: bool
    min_similarity: float
    embedder: str
