"""The camera map, offline: `map.js` draws the cameras on a plain canvas from their lat/lon, over
the city map picture an admin uploaded (if any). No tile server and no other site: the positions
come as JSON from `/map/cameras.json` and the picture from `/media/map/image`, both from here.
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response

from citywatch.api.uploads import read_upload
from citywatch.cases.policy import may_role
from citywatch.errors import CitywatchError, InputError
from citywatch.services.citymap import MAX_MAP_BYTES
from citywatch.types import HEALTH_STATES
from citywatch.types.maps import CityMap, MapBounds
from citywatch.web.pictures import PICTURE_HEADERS, picture_problem
from citywatch.web.rendering import error_page, render, status_of
from citywatch.web.session import SignedIn, WebSession, refused_form, to_login

router = APIRouter()
MAP_STATES = (*HEALTH_STATES, "unknown")
"""The states a dot can show, in the legend's order (`unknown`: never reported)."""


def map_page(
    request: Request,
    session: WebSession,
    message: str = "",
    error: str = "",
    status: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    try:
        city_map = session.services.city_map()
        cameras = session.services.cameras()
    except CitywatchError as failure:
        return error_page(request, failure, user=session.user, csrf=session.csrf)
    unplaced = [c for c in cameras.cameras if c.lat is None or c.lon is None]
    if form is None:
        form = bounds_form(city_map)
    return render(
        request,
        "map.html",
        session.user,
        session.csrf,
        status,
        city_map=city_map,
        states=MAP_STATES,
        count=len(cameras.cameras),
        unplaced=unplaced,
        may_manage=may_role(session.user, "camera.manage"),
        form=form,
        message=message,
        error=error,
    )


def bounds_form(city_map: CityMap | None) -> dict[str, str]:
    if city_map is None:
        return {}
    bounds = city_map.bounds
    return {
        "south": f"{bounds.south:g}",
        "west": f"{bounds.west:g}",
        "north": f"{bounds.north:g}",
        "east": f"{bounds.east:g}",
    }


@router.get("/map")
def camera_map(request: Request, session: SignedIn) -> Response:
    if session is None:
        return to_login(request)
    return map_page(request, session)


@router.get("/map/cameras.json")
def map_data(session: SignedIn) -> Response:
    """What map.js draws: the placed cameras with their health, and the picture's bounds."""
    if session is None:
        return JSONResponse({"detail": "not signed in"}, status_code=401)
    services = session.services
    try:
        status = services.cameras()
        city_map = services.city_map()
    except CitywatchError as error:
        return JSONResponse({"detail": str(error)}, status_code=status_of(error))
    cameras = []
    for camera in status.cameras:
        if camera.lat is None or camera.lon is None:
            continue
        health = status.health.get(camera.id)
        cameras.append(
            {
                "id": camera.id,
                "name": camera.name,
                "lat": camera.lat,
                "lon": camera.lon,
                "group": camera.group,
                "owner": camera.owner,
                "state": health.state if health else "unknown",
                "since": health.since.isoformat() if health else None,
            }
        )
    background = None
    if city_map is not None:
        bounds = city_map.bounds
        background = {
            "url": "/media/map/image",
            "south": bounds.south,
            "west": bounds.west,
            "north": bounds.north,
            "east": bounds.east,
            "width_px": city_map.width_px,
            "height_px": city_map.height_px,
        }
    return JSONResponse(
        {"cameras": cameras, "map": background},
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/media/map/image", response_model=None)
def map_image(session: SignedIn) -> Response:
    if session is None:
        return picture_problem("not signed in", 401)
    try:
        city_map = session.services.city_map()
    except CitywatchError as error:
        return picture_problem(str(error), status_of(error))
    if city_map is None:
        return picture_problem("no city map has been uploaded", 404)
    return FileResponse(city_map.path, media_type=city_map.media_type, headers=PICTURE_HEADERS)


def degrees(text: str, field: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise InputError(f"{field} {text.strip()!r} is not a number of degrees") from None
    if not math.isfinite(value):
        raise InputError(f"{field} {text.strip()!r} is not a number of degrees")
    return value


@router.post("/map/image")
def upload_map(
    request: Request,
    session: SignedIn,
    image: Annotated[UploadFile | None, File()] = None,
    south: Annotated[str, Form()] = "",
    west: Annotated[str, Form()] = "",
    north: Annotated[str, Form()] = "",
    east: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    if session is None:
        return to_login(request)
    if not session.form_is_genuine(csrf_token):
        return refused_form(request, session)
    form = {"south": south, "west": west, "north": north, "east": east}
    try:
        session.services.require("camera.manage")  # refused before the form is looked at
        if image is None or not image.filename:
            raise InputError("no picture chosen; expected a PNG or JPEG map of the city")
        bounds = MapBounds(
            south=degrees(south, "south"),
            west=degrees(west, "west"),
            north=degrees(north, "north"),
            east=degrees(east, "east"),
        )
        data = read_upload(image, MAX_MAP_BYTES, f"map picture {image.filename!r}")
        city_map = session.services.set_city_map(data, image.filename, bounds)
    except CitywatchError as error:
        return map_page(request, session, error=str(error), status=status_of(error), form=form)
    return map_page(
        request,
        session,
        message=f"city map saved: {city_map.width_px}x{city_map.height_px} px",
    )


@router.post("/map/image/remove")
def remove_map(
    request: Request, session: SignedIn, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    if session is None:
        return to_login(request)
    if not session.form_is_genuine(csrf_token):
        return refused_form(request, session)
    try:
        session.services.remove_city_map()
    except CitywatchError as error:
        return map_page(request, session, error=str(error), status=status_of(error))
    return map_page(request, session, message="city map removed: cameras are drawn on a plain grid")
