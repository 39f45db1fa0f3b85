"""Bodies of the administration and oversight resources: users, cameras, the audit log, the
transparency report and settings.

Camera URLs leave only through `redact_url`: credentials are stored encrypted apart from the URL
and never appear in a response.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from pydantic import BaseModel, Field

from citywatch.api.schemas.core import UserPublic
from citywatch.config import Settings
from citywatch.ingest.urls import redact_text, redact_url
from citywatch.types import (
    AuditEvent,
    AuditValue,
    Camera,
    CameraHealth,
    ChainReport,
    StreamProbe,
    TransparencyReport,
)

SettingValue = bool | int | float | str
"""What one setting holds (bool first: JSON `true` stays a bool, never becomes 1)."""


# -- users ------------------------------------------------------------------------------------
class UserCreate(BaseModel):
    name: str
    password: str
    roles: list[str] = Field(description="admin, officer, supervisor, reviewer and/or auditor")


class RolesUpdate(BaseModel):
    roles: list[str] = Field(description="The user's new roles; they replace the old ones")


class UsersPublic(BaseModel):
    data: list[UserPublic]
    count: int


# -- cameras ----------------------------------------------------------------------------------
class CameraCreate(BaseModel):
    id: str = Field(description="A slug: lowercase letters, digits, '-' or '_', e.g. 'theatre-3'")
    url: str = Field(
        description="rtsp://, rtsps://, http://, https:// or file:// (or a video file path on "
        "the server); credentials in it are stored encrypted and never shown again"
    )
    name: str | None = Field(default=None, description="Display name (default: the id)")
    lat: float | None = Field(default=None, ge=-90, le=90, description="WGS84 degrees")
    lon: float | None = Field(default=None, ge=-180, le=180, description="WGS84 degrees")
    group: str = ""
    owner: str = Field(default="city", description="'city' or the name of a third party")
    fps: float = Field(default=5.0, gt=0, description="Frames analysed per second")
    min_face_px: float = Field(default=24.0, gt=0)
    priority: int = Field(default=0, description="Higher is analysed first when the cap is hit")
    force: bool = Field(
        default=False, description="Record it even if the probe or the onboarding check fails"
    )

    def draft(self) -> Camera:
        """The camera to register; the service fills in the URL (without credentials)."""
        return Camera(
            id=self.id,
            name=self.name or self.id,
            url="",
            lat=self.lat,
            lon=self.lon,
            group=self.group,
            owner=self.owner,
            analysis_fps=self.fps,
            min_face_px=self.min_face_px,
            priority=self.priority,
        )


class ProbeRequest(BaseModel):
    url: str


class ProbePublic(BaseModel):
    """What a stream really delivered while it was probed (frame rate from timestamps)."""

    width_px: int
    height_px: int
    fps: float
    codec: str
    frames: int
    seconds: float

    @classmethod
    def of(cls, probe: StreamProbe) -> ProbePublic:
        return cls(
            width_px=probe.width_px,
            height_px=probe.height_px,
            fps=probe.fps,
            codec=probe.codec,
            frames=probe.frames,
            seconds=probe.seconds,
        )


class ProbeResult(ProbePublic):
    url: str = Field(description="The URL probed, credentials replaced by ***")
    third_party_ok: bool = Field(description="Whether it passes the third-party onboarding bar")
    problems: list[str]


class HealthPublic(BaseModel):
    state: str = Field(description="starting, live, stalled, offline or failed")
    since: datetime
    last_frame_at: datetime | None
    last_error: str
    restarts: int
    updated_at: datetime | None

    @classmethod
    def of(cls, health: CameraHealth) -> HealthPublic:
        return cls(
            state=health.state,
            since=health.since,
            last_frame_at=health.last_frame_at,
            last_error=redact_text(health.last_error),
            restarts=health.restarts,
            updated_at=health.updated_at,
        )


class CameraPublic(BaseModel):
    id: str
    name: str
    url: str = Field(description="Without credentials (rtsp://***@host/... where it has some)")
    has_credentials: bool = Field(description="Credentials are stored, encrypted")
    lat: float | None
    lon: float | None
    group: str
    owner: str
    analysis: bool
    analysis_fps: float
    min_face_px: float
    priority: int
    probe: ProbePublic | None = Field(description="What it delivered when it was registered")
    forced: bool = Field(description="Registered despite a failed probe or onboarding check")
    created_at: datetime | None

    @classmethod
    def of(cls, camera: Camera) -> CameraPublic:
        return cls(
            id=camera.id,
            name=camera.name,
            url=redact_url(camera.url),
            has_credentials=camera.has_credentials,
            lat=camera.lat,
            lon=camera.lon,
            group=camera.group,
            owner=camera.owner,
            analysis=camera.analysis_enabled,
            analysis_fps=camera.analysis_fps,
            min_face_px=camera.min_face_px,
            priority=camera.priority,
            probe=None if camera.probe is None else ProbePublic.of(camera.probe),
            forced=camera.forced,
            created_at=camera.created_at,
        )


class CameraAddedPublic(CameraPublic):
    warnings: list[str] = Field(description="Why it was forced: failed probe or onboarding")


class CameraStatusPublic(CameraPublic):
    assignment: str = Field(description="analysed, standby (over the cap) or off")
    health: HealthPublic | None = Field(description="None until the camera has run")


class CamerasPublic(BaseModel):
    data: list[CameraStatusPublic]
    count: int
    cap: int = Field(description="The most cameras analysed at once (max_analysed_cameras)")
    analysed: list[str] = Field(description="Ids of the cameras analysed, highest priority first")


# -- audit log --------------------------------------------------------------------------------
class ChainReportPublic(BaseModel):
    ok: bool
    records: int
    head_sequence: int
    head_hash: str
    checkpoints: int
    first_bad_sequence: int | None = Field(
        description="The lowest-numbered record the evidence no longer vouches for"
    )
    problem: str

    @classmethod
    def of(cls, report: ChainReport) -> ChainReportPublic:
        return cls(**asdict(report))


class AuditEventPublic(BaseModel):
    sequence: int
    at: datetime
    actor: str
    action: str
    object: str
    case_id: int | None
    details: dict[str, AuditValue]
    previous_hash: str
    hash: str

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventPublic:
        return cls(**asdict(event))


class AuditEventsPublic(BaseModel):
    data: list[AuditEventPublic]
    count: int


class CheckpointPublic(BaseModel):
    """As `citywatch audit checkpoint --json` prints it; keep it where the server cannot write."""

    sequence: int
    head_hash: str
    signed_at: str = Field(description="ISO-8601 UTC with microseconds, exactly as signed")
    public_key: str = Field(description="Ed25519 public key, hex")
    signature: str = Field(description="Ed25519 signature, hex")


# -- transparency -----------------------------------------------------------------------------
class TransparencyPublic(BaseModel):
    """Counts for a period, for the public: no names, faces, cameras or case references."""

    starts_at: datetime
    ends_at: datetime = Field(description="Excluded: the day after the `to` date")
    cases_created: dict[str, int] = Field(description="By category")
    cases_approved: int
    cases_closed: int
    cases_active_at_end: dict[str, int] = Field(description="By category")
    watchlists: dict[str, int] = Field(
        description="'<category>.watchlists', '<category>.people', '<category>.photos'"
    )
    enrolments: int
    searches: int
    alerts: int
    confirmations: int
    alerts_confirmed: int
    alerts_rejected: int
    refusals: int
    failed_logins: int
    retention_deleted_alerts: int

    @classmethod
    def of(cls, report: TransparencyReport) -> TransparencyPublic:
        return cls(**asdict(report))


# -- settings ---------------------------------------------------------------------------------
class SettingsPublic(BaseModel):
    """The effective settings (defaults, then config.toml, then CITYWATCH_* variables)."""

    home: str
    embedder: str
    flip: bool
    detector_max_side_px: int
    detector_min_score: float
    scan_fps: float
    min_face_px: float
    shots_per_track: int
    max_track_age_s: float
    interim_sighting_after_s: float
    live_detector_coarse_side_px: int
    live_detector_full_every: int
    max_analysed_cameras: int
    rtsp_transport: str
    open_timeout_s: float
    read_timeout_s: float
    stall_after_s: float
    hung_after_s: float
    health_check_interval_s: float
    alert_cooldown_s: float
    session_hours: float
    max_case_days: int
    retention_days: int

    @classmethod
    def of(cls, settings: Settings) -> SettingsPublic:
        return cls(**{**asdict(settings), "home": str(settings.home)})


class SettingUpdate(BaseModel):
    value: SettingValue = Field(description="Text as 'citywatch config set' takes it, or JSON")


class SettingChanged(BaseModel):
    setting: str
    old: SettingValue
    new: SettingValue
