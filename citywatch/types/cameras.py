"""Registered cameras, what a probe measured, and their health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class StreamProbe:
    """What a stream delivered when probed: measured, not what it advertises."""

    width_px: int
    height_px: int
    fps: float
    codec: str
    frames: int
    seconds: float


@dataclass(frozen=True, slots=True)
class Camera:
    """A registered camera. `url` never carries credentials (they are stored encrypted apart)."""

    id: str
    name: str
    url: str
    lat: float | None = None
    lon: float | None = None
    group: str = ""
    owner: str = "city"
    analysis_enabled: bool = True
    analysis_fps: float = 5.0
    min_face_px: float = 24.0
    priority: int = 0
    has_credentials: bool = False
    probe: StreamProbe | None = None
    forced: bool = False
    created_at: datetime | None = None


HEALTH_STATES = ("starting", "live", "stalled", "offline", "failed")


@dataclass(frozen=True, slots=True)
class CameraHealth:
    """A camera's connection state, judged by the server's UTC clock.

    starting: not yet connected; live: frames arriving; stalled: connected (or answering) but no
    frame for a while; offline: unreachable, refused or closed; failed: a permanent error (bad
    URL, not found, unauthorised, no video), retried only slowly.
    """

    camera_id: str
    state: str
    since: datetime
    last_frame_at: datetime | None = None
    last_error: str = ""
    restarts: int = 0
    analysed: bool = False
    updated_at: datetime | None = None
