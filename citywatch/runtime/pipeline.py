"""Frames in, sightings out: detect -> track -> quality -> (best shots) -> embed -> Sighting.

One `SightingPipeline` per source: it owns that source's tracker and track book, so several sources
never mix track ids. It never touches the database; the caller matches and stores.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from citywatch.detect import FaceDetector
from citywatch.embed import FaceEmbedder, normalize
from citywatch.embed.align import align_faces
from citywatch.embed.quality import QualityGate
from citywatch.track import ByteTracker, Tracker
from citywatch.track.trackbook import TrackBook, TrackShots
from citywatch.types import Frame, Sighting


@dataclass(slots=True)
class StageTimes:
    """CPU-side wall time per stage in seconds, summed over a run (for benchmarks)."""

    detect_s: float = 0.0
    track_s: float = 0.0
    quality_s: float = 0.0
    embed_s: float = 0.0
    frames: int = 0
    faces: int = 0
    tracks: int = 0
    """Confirmed tracks that ended (tentative ones the tracker dropped are not counted)."""


class SightingPipeline:
    def __init__(
        self,
        detector: FaceDetector,
        embedder: FaceEmbedder,
        gate: QualityGate | None = None,
        tracker: Tracker | None = None,
        shots_per_track: int = 3,
        interim_after_s: float = 0.0,
    ) -> None:
        """`interim_after_s` > 0 (live cameras): a track in view that long also yields a sighting
        then, before it ends; its final sighting follows when it ends (the caller merges the
        two into one alert). Scans leave it 0: one sighting per track."""
        self.interim_after_s = interim_after_s
        self.detector = detector
        self.embedder = embedder
        self.gate = gate or QualityGate()
        self.tracker: Tracker = tracker or ByteTracker()
        self.book = TrackBook(shots_per_track)
        self.times = StageTimes()

    def process(self, frame: Frame) -> list[Sighting]:
        """Feed one frame; returns the sightings of tracks that ended with it (and interim ones
        of tracks in view for `interim_after_s`)."""
        clock = time.perf_counter
        start = clock()
        faces = self.detector.detect(frame.image)
        detected = clock()
        self.times.faces += len(faces)
        faces = self.tracker.update(faces, frame.timestamp_s)
        tracked = clock()
        keep = faces.track_ids >= 0
        faces = faces[keep]
        aligned = align_faces(frame.image, faces.landmarks)
        report = self.gate.assess(faces, aligned)
        faces.quality = report.score
        self.book.observe(frame, faces, report, aligned)
        gated = clock()
        self.times.detect_s += detected - start
        self.times.track_s += tracked - detected
        self.times.quality_s += gated - tracked
        self.times.frames += 1
        ended = self.tracker.finished()
        self.times.tracks += len(ended)
        finished = self.book.take(ended)
        self.book.forget_except(self.tracker.active_ids())
        if self.interim_after_s > 0:
            finished += self.book.lingering(frame.timestamp_s, self.interim_after_s)
        return self._embed(finished)

    def flush(self) -> list[Sighting]:
        """End of source: every remaining confirmed track becomes a sighting if it has shots."""
        ended = self.tracker.flush()
        self.times.tracks += len(ended)
        finished = self.book.take(ended)
        self.book.forget_except([])
        return self._embed(finished)

    def _embed(self, tracks: list[TrackShots]) -> list[Sighting]:
        if not tracks:
            return []
        start = time.perf_counter()
        crops = np.stack([crop for track in tracks for crop in track.aligned])
        embeddings = self.embedder.embed(crops)
        sightings = []
        offset = 0
        for track in tracks:
            count = len(track.aligned)
            mean = normalize(embeddings[offset : offset + count].mean(axis=0, keepdims=True))[0]
            offset += count
            best = int(np.argmax(track.qualities))
            assert track.evidence is not None  # set together with the first shot
            sightings.append(
                Sighting(
                    camera_id=track.camera_id,
                    track_id=track.track_id,
                    first_seen_s=track.first_seen_s,
                    last_seen_s=track.last_seen_s,
                    crop=track.evidence,
                    embedding=mean,
                    quality=track.qualities[best],
                    face_px=track.face_px[best],
                    shots=count,
                    frames=track.frames,
                )
            )
        self.times.embed_s += time.perf_counter() - start
        return sightings
