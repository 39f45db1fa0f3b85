"""Watchlists, enrolled people, the gallery the matcher searches, matches and alerts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from citywatch.types.vision import FloatArray, IntArray, Sighting


@dataclass(frozen=True, slots=True)
class Match:
    """A sighting at or above a watchlist's threshold for one enrolled person."""

    sighting: Sighting
    person_id: int
    person_name: str
    watchlist: str
    photo_id: int
    similarity: float
    min_similarity: float


@dataclass(frozen=True, slots=True)
class Alert:
    """A stored match, with the paths of its evidence inside the media folder."""

    id: int
    person_id: int
    person_name: str
    watchlist: str
    camera_id: str
    track_id: int
    similarity: float
    first_seen_s: float
    last_seen_s: float
    crop_path: Path
    photo_path: Path
    created_at: datetime
    status: str = "pending"
    first_seen_at: datetime | None = None
    last_seen_at: datetime | None = None
    case_id: int | None = None
    case_reference: str = ""
    confirmations: int = 0
    """Distinct eligible reviewers who confirmed it so far."""
    expires_at: datetime | None = None
    """When the retention job deletes it and its evidence (the case's retention)."""


@dataclass(frozen=True, slots=True)
class Watchlist:
    """`min_similarity` is None in the store when the list uses its embedder's calibrated default;
    services resolve it before showing it."""

    id: int
    name: str
    min_similarity: float | None
    created_at: datetime
    people: int = 0
    photos: int = 0
    case_id: int | None = None
    """The case the list belongs to (None only for lists made before cases existed)."""
    case_reference: str = ""


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    watchlist: str
    name: str
    photos: int = 0


@dataclass(frozen=True, slots=True)
class PhotoEnrollment:
    """The outcome for one photo given to `enroll`: `status` is `enrolled` or `rejected`."""

    source: str
    status: str
    reason: str = ""
    photo_id: int | None = None
    face_px: float = 0.0
    quality: float = 0.0


@dataclass(frozen=True, slots=True)
class Gallery:
    """Every enrolled photo of every active watchlist, for one embedder, as matrices.

    Row `i` is one photo: `embeddings[i]` belongs to person `person_ids[i]` on the watchlist whose
    threshold is `min_similarities[i]`. Built from the store, which is the truth; this is a cache.

    `rejected_embeddings[j]` (same embedder, unit length) is a sighting that reviewers rejected as
    "not this person" for person `rejected_person_ids[j]`; the matcher uses it to stop raising the
    same false match again. Both are empty (zero rows) when nothing has been rejected.
    """

    embedder: str
    embeddings: FloatArray
    photo_ids: IntArray
    person_ids: IntArray
    person_names: tuple[str, ...]
    watchlists: tuple[str, ...]
    min_similarities: FloatArray
    rejected_embeddings: FloatArray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    rejected_person_ids: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))

    def __len__(self) -> int:
        return len(self.photo_ids)
