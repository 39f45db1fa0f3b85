"""Cameras: register (probe and onboarding check), probe, list with health and the cap, remove.

A camera URL may carry credentials (`rtsp://user:pass@host/...`). The services store them
encrypted and redact them from their messages; this router also redacts the request-validation
errors it raises, whose `input` would otherwise echo the body back, URL and all.
"""

from __future__ import annotations

from fastapi import APIRouter

from citywatch.api.deps import UserServices
from citywatch.api.schemas.admin import (
    CameraAddedPublic,
    CameraCreate,
    CameraPublic,
    CamerasPublic,
    CameraStatusPublic,
    HealthPublic,
    ProbePublic,
    ProbeRequest,
    ProbeResult,
)
from citywatch.ingest.probe import onboarding_problems
from citywatch.ingest.urls import redact_url
from citywatch.types import Camera

router = APIRouter(prefix="/cameras", tags=["cameras"])


@router.get("")
def list_cameras(services: UserServices) -> CamerasPublic:
    """Registered cameras, their last known health, and which are analysed under the cap."""
    status = services.cameras()
    analysed = set(status.analysed)

    def assignment(camera: Camera) -> str:
        if not camera.analysis_enabled:
            return "off"
        return "analysed" if camera.id in analysed else "standby"

    cameras = [
        CameraStatusPublic(
            **CameraPublic.of(c).model_dump(),
            assignment=assignment(c),
            health=HealthPublic.of(status.health[c.id]) if c.id in status.health else None,
        )
        for c in status.cameras
    ]
    return CamerasPublic(
        data=cameras, count=len(cameras), cap=status.cap, analysed=list(status.analysed)
    )


@router.post("", status_code=201)
def add_camera(body: CameraCreate, services: UserServices) -> CameraAddedPublic:
    """Probe the URL and register it. A third-party camera must deliver at least 1280x720 at
    15-25 fps, else 422 naming what was measured, unless `force` (then it comes with warnings)."""
    added = services.add_camera(body.draft(), body.url, force=body.force)
    return CameraAddedPublic(
        **CameraPublic.of(added.camera).model_dump(), warnings=list(added.warnings)
    )


@router.post("/probe")
def probe_camera(body: ProbeRequest, services: UserServices) -> ProbeResult:
    """Measure what a URL delivers (size, frame rate, codec) without registering it."""
    probe = services.probe(body.url)
    problems = onboarding_problems(probe)
    return ProbeResult(
        **ProbePublic.of(probe).model_dump(),
        url=redact_url(body.url),
        third_party_ok=not problems,
        problems=problems,
    )


@router.delete("/{camera_id}")
def remove_camera(camera_id: str, services: UserServices) -> CameraPublic:
    return CameraPublic.of(services.remove_camera(camera_id))
