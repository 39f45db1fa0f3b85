"""The operators' web UI: server-rendered pages over the same services as the CLI and the API.

`router` holds every page, the session-cookie event stream (`/events`), the pictures
(`/media/alerts/{id}/crop|photo`, `/media/cameras/{id}/snapshot`, `/media/map/image`: faces no
case of the user covers are blurred), the camera map's data (`/map/cameras.json`) and the static
files (`/static/{name}`: the few files listed in
`STATIC`, read from the package, so the UI needs nothing from any other server). The API's app
includes it at `/`:

    app.include_router(web.router)

Pages: `/login`, `/logout`, `/` (live alert wall), `/review`, `/cases`, `/watchlists` (and
`/watchlists/{name}`: its people and the photo upload), `/cameras`, `/map`, `/transparency`,
`/audit`.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response

from citywatch.web import (
    alerts,
    audit,
    cameras,
    cases,
    citymap,
    session,
    transparency,
    watchlists,
)

STATIC = {
    "citywatch.css": "text/css; charset=utf-8",
    "wall.js": "text/javascript; charset=utf-8",
    "map.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
"""The static files there are, with their types: anything else is a 404, never a file lookup."""

router = APIRouter(include_in_schema=False)


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    media_type = STATIC.get(name)
    if media_type is None:
        return PlainTextResponse(f"no static file {name!r}", status_code=404)
    content = files("citywatch.web").joinpath("static", name).read_bytes()
    return Response(
        content,
        media_type=media_type,
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


for module in (session, alerts, cases, watchlists, cameras, citymap, transparency, audit):
    router.include_router(module.router)

__all__ = ["router"]
