"""What crosses from camera workers to the supervisor: small, picklable, no pixels but crops."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from citywatch.ingest.stream import StreamOptions
from citywatch.types import CameraHealth, Sighting


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    """Everything a worker process needs; `url` may carry credentials and is never printed."""

    camera_id: str
    url: str = field(repr=False)
    analysis_fps: float
    min_face_px: float
    embedder: str
    flip: bool
    detector_max_side_px: int
    detector_min_score: float
    shots_per_track: int
    max_track_age_s: float
    stream: StreamOptions
    stall_after_s: float = 3.0
    interim_sighting_after_s: float = 0.0
    detector_coarse_side_px: int = 0
    detector_full_every: int = 1
    heartbeat_s: float = 1.0


@dataclass(frozen=True, slots=True)
class HealthChanged:
    health: CameraHealth


@dataclass(frozen=True, slots=True)
class WorkerCounters:
    """Running totals of one worker process (the supervisor adds up restarts)."""

    frames_decoded: int = 0
    frames_analysed: int = 0
    sightings: int = 0
    connections: int = 0
    decode_errors: int = 0
    clock_resets: int = 0
    """Times the stream clock was re-anchored (see `StreamClock.resets`)."""
    analysed_digest: int = 0
    """CRC-32 of the analysed frames' (index, time since the first analysed frame in ms): two
    runs of one clip that analysed the same frames at the same stream times have equal digests."""

    def __add__(self, other: WorkerCounters) -> WorkerCounters:
        return WorkerCounters(
            self.frames_decoded + other.frames_decoded,
            self.frames_analysed + other.frames_analysed,
            self.sightings + other.sightings,
            self.connections + other.connections,
            self.decode_errors + other.decode_errors,
            self.clock_resets + other.clock_resets,
            zlib.crc32(other.analysed_digest.to_bytes(4, "big"), self.analysed_digest),
        )


@dataclass(frozen=True, slots=True)
class Heartbeat:
    camera_id: str
    progress_age_s: float
    counters: WorkerCounters


@dataclass(frozen=True, slots=True)
class SightingFound:
    sighting: Sighting


@dataclass(frozen=True, slots=True)
class WorkerStopped:
    camera_id: str
    counters: WorkerCounters
    error: str = ""


WorkerMessage = HealthChanged | Heartbeat | SightingFound | WorkerStopped
