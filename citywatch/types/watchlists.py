"""Watchlists, enrolled people, the gallery the matcher searches, matches and alerts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from citywatch.types.vision import FloatArray, IntArray, Sighting

WATCHLIST_PRIORITIES = ("low", "normal", "high", "urgent")
"""How urgent a watchlist's alerts are, lowest first."""
DEFAULT_WATCHLIST_COLOUR = "#c92a2a"
"""Red; also the database's default (migration 006) for lists made before colours."""


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
    watchlist_colour: str = DEFAULT_WATCHLIST_COLOUR
    watchlist_priority: str = "normal"


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
    colour: str = DEFAULT_WATCHLIST_COLOUR
    """`#rrggbb`: how its alerts are marked on the wall."""
    priority: str = "normal"
    """One of `WATCHLIST_PRIORITIES`."""


@dataclass(frozen=True, slots=True)
class Person:
    """Someone on a watchlist. `enrolled_at` is when their first photo was enrolled and
    `photo_ids` their enrolled photos, oldest first; both are filled only by listings."""

    id: int
    watchlist: str
    name: str
    photos: int = 0
    enrolled_at: datetime | None = None
    photo_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class PhotoEnrollment:
    """The outcome for one photo given to `enroll`: `status` is `enrolled` or `rejected`.

    `source` names the photo as it was given (a path, an uploaded file's name, a member of an
    archive); `person` is who it was for (set by imports, where each photo names its own)."""

    source: str
    status: str
    reason: str = ""
    photo_id: int | None = None
    face_px: float = 0.0
    quality: float = 0.0
    person: str = ""


@dataclass(frozen=True, slots=True)
class UploadedPhoto:
    """A photo's bytes as they arrived (a file of a request, a member of an archive, a file read
    from disk), not yet trusted or decoded. `name` is what the sender called it: every message
    about the photo names it so."""

    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ImportItem:
    """One photo an import archive assigns to a person; `member` is its path in the archive.

    `reason` is set when the item is refused before its bytes are read: a path that leaves the
    archive, a photo at the root with no person's folder, a `people.csv` row naming a photo the
    archive lacks."""

    person: str
    member: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What a bulk import did: one result per photo the archive held or named, in archive order.

    `layout` is how the archive said who is who: `folders` (`Person Name/photo.jpg`) or
    `people.csv` (columns `person,photo` at the root)."""

    watchlist: str
    archive: str
    layout: str
    results: tuple[PhotoEnrollment, ...]

    @property
    def enrolled(self) -> int:
        return sum(r.status == "enrolled" for r in self.results)

    @property
    def rejected(self) -> int:
        return len(self.results) - self.enrolled

    @property
    def people(self) -> int:
        """People with at least one photo enrolled by this import."""
        return len({r.person for r in self.results if r.status == "enrolled"})


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
