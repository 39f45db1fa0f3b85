"""Tracking: `Tracker.update(faces, timestamp_s) -> Faces` with `track_ids` filled.

A tracker turns per-frame detections into tracks, so that later stages can pick the best shots of
one person's pass instead of treating every frame as a new face. The contract the track book relies
on:

- `update` returns the same faces in the same order; a face's `track_ids` entry is a positive id or
  -1 when the face belongs to no track.
- Ids are positive, increasing and never reused by one tracker.
- An id appears in `finished()` (or `flush()`) exactly once, when its track ends, and only if the
  track was confirmed. An id that leaves `active_ids()` without appearing there was a tentative
  track that was dropped; discard whatever was kept for it.
"""

from __future__ import annotations

from typing import Protocol

from citywatch.track.bytetrack import ByteTracker
from citywatch.types import Faces


class Tracker(Protocol):
    def update(self, faces: Faces, timestamp_s: float) -> Faces:
        """Assign track ids to one frame's faces; timestamps are seconds and never decrease."""
        ...

    def finished(self) -> list[int]:
        """Ids of confirmed tracks that ended since the last call; clears them."""
        ...

    def active_ids(self) -> list[int]:
        """Ids of the tracks still live, tentative ones included."""
        ...

    def flush(self) -> list[int]:
        """End every track at the end of a source; returns the confirmed ids not yet collected."""
        ...


__all__ = ["ByteTracker", "Tracker"]
