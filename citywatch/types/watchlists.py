"""Watchlists, enrolled people, the gallery the matcher searches, matches and alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

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
    """

    embedder: str
    embeddings: FloatArray
    photo_ids: IntArray
    person_ids: IntArray
    person_names: tuple[str, ...]
    watchlists: tuple[str, ...]
    min_similarities: FloatArray

    def __len__(self) -> int:
        return len(self.photo_ids)
