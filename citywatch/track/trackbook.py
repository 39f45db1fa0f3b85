"""The track book: keep the few best shots of each live track, hand them over when it ends.

Embedding is the most expensive step per face, so instead of embedding every frame we keep only the
`shots_per_track` best aligned crops of each track (by quality score) and embed them once, when the
track ends. Memory stays bounded: a few 112x112 crops and one evidence crop per live track.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from citywatch.embed.quality import QualityReport
from citywatch.types import TIME_TOLERANCE_S, Faces, FloatArray, Frame, Image

EVIDENCE_MAX_PX = 320


@dataclass(slots=True)
class TrackShots:
    """What the book knows about one track: its time span and its best gated shots."""

    track_id: int
    camera_id: str
    first_seen_s: float
    last_seen_s: float
    frames: int = 0
    qualities: list[float] = field(default_factory=list)
    face_px: list[float] = field(default_factory=list)
    aligned: list[Image] = field(default_factory=list)
    evidence: Image | None = None
    evidence_quality: float = -1.0
    reported_at_s: float | None = None
    """When an interim sighting of this track was last handed out (see `TrackBook.lingering`)."""


def evidence_crop(image: Image, box: FloatArray, margin: float = 0.6) -> Image:
    """The face with `margin` x its size of context on each side, at most EVIDENCE_MAX_PX high."""
    height, width = image.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    pad_x, pad_y = (x2 - x1) * margin, (y2 - y1) * margin
    left, top = max(0, int(x1 - pad_x)), max(0, int(y1 - pad_y))
    right, bottom = min(width, int(x2 + pad_x + 1)), min(height, int(y2 + pad_y + 1))
    crop = image[top:bottom, left:right]
    if crop.shape[0] > EVIDENCE_MAX_PX:
        scale = EVIDENCE_MAX_PX / crop.shape[0]
        size = (max(1, round(crop.shape[1] * scale)), EVIDENCE_MAX_PX)
        crop = np.asarray(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), np.uint8)
    return np.ascontiguousarray(crop)


class TrackBook:
    def __init__(self, shots_per_track: int = 3) -> None:
        self.shots_per_track = shots_per_track
        self._tracks: dict[int, TrackShots] = {}

    def __len__(self) -> int:
        return len(self._tracks)

    def observe(self, frame: Frame, faces: Faces, report: QualityReport, aligned: Image) -> None:
        """Record one frame's tracked faces; only faces that passed the gate become shots."""
        for row, track_id in enumerate(faces.track_ids.tolist()):
            if track_id < 0:
                continue
            track = self._tracks.get(track_id)
            if track is None:
                track = TrackShots(track_id, frame.camera_id, frame.timestamp_s, frame.timestamp_s)
                self._tracks[track_id] = track
            track.last_seen_s = frame.timestamp_s
            track.frames += 1
            if not report.passed[row]:
                continue
            quality = float(report.score[row])
            if len(track.qualities) < self.shots_per_track:
                track.qualities.append(quality)
                track.face_px.append(float(report.face_px[row]))
                track.aligned.append(aligned[row].copy())
            else:
                worst = int(np.argmin(track.qualities))
                if quality <= track.qualities[worst]:
                    continue
                track.qualities[worst] = quality
                track.face_px[worst] = float(report.face_px[row])
                track.aligned[worst] = aligned[row].copy()
            if quality > track.evidence_quality:
                track.evidence_quality = quality
                track.evidence = evidence_crop(frame.image, faces.boxes[row])

    def lingering(self, now_s: float, after_s: float, every_s: float = 30.0) -> list[TrackShots]:
        """Tracks in view for `after_s` or longer, with shots, not reported in the last
        `every_s`: marked reported and returned as copies, so that a person who stays in front
        of a camera is matched while still there (and their alert kept up to date every
        `every_s`), not only when they leave."""
        found = []
        for track in self._tracks.values():
            if not track.aligned or now_s - track.first_seen_s < after_s - TIME_TOLERANCE_S:
                continue
            since_s = None if track.reported_at_s is None else now_s - track.reported_at_s
            if since_s is not None and since_s < every_s - TIME_TOLERANCE_S:
                continue
            track.reported_at_s = now_s
            found.append(
                TrackShots(
                    track.track_id,
                    track.camera_id,
                    track.first_seen_s,
                    track.last_seen_s,
                    track.frames,
                    list(track.qualities),
                    list(track.face_px),
                    list(track.aligned),
                    track.evidence,
                    track.evidence_quality,
                    reported_at_s=now_s,
                )
            )
        return found

    def take(self, track_ids: list[int]) -> list[TrackShots]:
        """Remove ended tracks and return those with at least one gated shot."""
        ended = [self._tracks.pop(i) for i in track_ids if i in self._tracks]
        return [t for t in ended if t.aligned]

    def forget_except(self, live_ids: list[int]) -> int:
        """Drop tracks the tracker no longer knows (tentative ones it discarded); returns count."""
        keep = set(live_ids)
        stale = [i for i in self._tracks if i not in keep]
        for i in stale:
            del self._tracks[i]
        return len(stale)
