"""Cameras: the registered ones with their health and probe, the add form with the onboarding
check (admins), and a snapshot of one camera on request, every face in it blurred.

A snapshot opens the camera's stream, so the page grabs one only when asked (`?snapshot=ID`),
never one per camera on every view. A camera URL may carry a password: the form is never filled
in again with it (only with `redact_url` of it), and the services' messages redact it too.
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from citywatch.cases.policy import may_role
from citywatch.errors import CitywatchError, InputError
from citywatch.ingest.urls import redact_url
from citywatch.services import CamerasStatus
from citywatch.types import Camera
from citywatch.web.pictures import jpeg_response, picture_problem
from citywatch.web.rendering import error_page, render, status_of
from citywatch.web.session import SignedIn, WebSession, refused_form, to_login

router = APIRouter()
OWNER_HINT = "city"
FORM_DEFAULTS = {"owner": "city", "fps": "5", "priority": "0"}


def rows_of(status: CamerasStatus) -> list[dict[str, object]]:
    analysed = set(status.analysed)
    rows = []
    for camera in status.cameras:
        health = status.health.get(camera.id)
        if not camera.analysis_enabled:
            assignment = "off"
        else:
            assignment = "analysed" if camera.id in analysed else "standby"
        rows.append(
            {
                "camera": camera,
                "url": redact_url(camera.url),
                "state": health.state if health else "unknown",
                "since": health.since if health else None,
                "last_frame_at": health.last_frame_at if health else None,
                "last_error": redact_url(health.last_error) if health else "",
                "restarts": health.restarts if health else 0,
                "assignment": assignment,
            }
        )
    return rows


def cameras_page(
    request: Request,
    session: WebSession,
    snapshot: str = "",
    message: str = "",
    warnings: tuple[str, ...] = (),
    error: str = "",
    status: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    services, user = session.services, session.user
    try:
        cameras = services.cameras()
    except CitywatchError as failure:
        return error_page(request, failure, user=user, csrf=session.csrf)
    known = {camera.id for camera in cameras.cameras}
    return render(
        request,
        "cameras.html",
        user,
        session.csrf,
        status,
        rows=rows_of(cameras),
        cap=cameras.cap,
        analysed=len(cameras.analysed),
        snapshot=snapshot if snapshot in known else "",
        may_manage=may_role(user, "camera.manage"),
        form=form or FORM_DEFAULTS,
        message=message,
        warnings=warnings,
        error=error,
    )


@router.get("/cameras")
def list_cameras(
    request: Request, session: SignedIn, snapshot: Annotated[str, Query()] = ""
) -> Response:
    if session is None:
        return to_login(request)
    return cameras_page(request, session, snapshot=snapshot)


def number(text: str, field: str, low: float, high: float) -> float | None:
    """`text` as a number in [low, high]; None when blank; InputError naming the field."""
    if not text.strip():
        return None
    try:
        value = float(text.strip())
    except ValueError:
        raise InputError(f"{field} {text.strip()!r} is not a number") from None
    if not (math.isfinite(value) and low <= value <= high):
        raise InputError(f"{field} {value:g} is out of range; expected {low:g} to {high:g}")
    return value


def draft_camera(
    camera_id: str,
    name: str,
    lat: str,
    lon: str,
    group: str,
    owner: str,
    fps: str,
    priority: str,
) -> Camera:
    latitude = number(lat, "latitude", -90, 90)
    longitude = number(lon, "longitude", -180, 180)
    if (latitude is None) != (longitude is None):
        raise InputError("give both latitude and longitude, or neither")
    analysis_fps = number(fps, "analysis rate (fps)", 0.1, 30)
    order = number(priority, "priority", -1000, 1000)
    if order is not None and order != int(order):
        raise InputError(f"priority {order:g} is not a whole number")
    return Camera(
        id=camera_id.strip(),
        name=name.strip() or camera_id.strip(),
        url="",
        lat=latitude,
        lon=longitude,
        group=group.strip(),
        owner=owner.strip() or OWNER_HINT,
        analysis_fps=5.0 if analysis_fps is None else analysis_fps,
        priority=0 if order is None else int(order),
    )


@router.post("/cameras")
def add_camera(
    request: Request,
    session: SignedIn,
    camera_id: Annotated[str, Form(alias="id")] = "",
    name: Annotated[str, Form()] = "",
    url: Annotated[str, Form()] = "",
    lat: Annotated[str, Form()] = "",
    lon: Annotated[str, Form()] = "",
    group: Annotated[str, Form()] = "",
    owner: Annotated[str, Form()] = "",
    fps: Annotated[str, Form()] = "",
    priority: Annotated[str, Form()] = "",
    force: Annotated[bool, Form()] = False,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    if session is None:
        return to_login(request)
    if not session.form_is_genuine(csrf_token):
        return refused_form(request, session)
    shown_url = redact_url(url.strip())
    form = {
        "id": camera_id,
        "name": name,
        # Never the password again: a URL that had one must be typed in again.
        "url": shown_url,
        "lat": lat,
        "lon": lon,
        "group": group,
        "owner": owner,
        "fps": fps,
        "priority": priority,
        "force": "on" if force else "",
    }
    try:
        session.services.require("camera.manage")  # refused before the form is looked at
        draft = draft_camera(camera_id, name, lat, lon, group, owner, fps, priority)
        added = session.services.add_camera(draft, url, force=force)
    except CitywatchError as failure:
        problem = str(failure)
        if shown_url != url.strip():
            problem += " (type the URL's credentials again: they are never shown back)"
        return cameras_page(request, session, error=problem, status=status_of(failure), form=form)
    camera = added.camera
    verdict = "registered anyway (forced)" if added.warnings else "passed the onboarding check"
    return cameras_page(
        request,
        session,
        message=f"camera {camera.id} added: {verdict}",
        warnings=added.warnings,
    )


@router.get("/media/cameras/{camera_id}/snapshot", response_model=None)
def camera_snapshot(request: Request, camera_id: str, session: SignedIn) -> Response:
    """A JPEG of what the camera sees now, every face blurred; a failure is an SVG picture that
    says why (with the error's status), so the page shows the reason where the image would be."""
    if session is None:
        return picture_problem("not signed in", 401)
    try:
        return jpeg_response(session.services.camera_snapshot(camera_id))
    except CitywatchError as error:
        return picture_problem(str(error), status_of(error))
