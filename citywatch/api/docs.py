"""`/api/docs`: the interactive API page, with Swagger UI's files served from the
`fastapi-offline` package (we use only its copies of the files) rather than a CDN, so it works on
a control room's closed network (FastAPI's default page fetches them from the internet)."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

router = APIRouter(include_in_schema=False)

FILES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
}
"""The only files served: anything else is a 404, never a file lookup."""


@router.get("/api/docs")
def api_docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/api/openapi.json",
        title="citywatch API",
        swagger_js_url="/api/docs/files/swagger-ui-bundle.js",
        swagger_css_url="/api/docs/files/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
    )


@router.get("/api/docs/files/{name}")
def api_docs_file(name: str) -> Response:
    media_type = FILES.get(name)
    if media_type is None:
        return PlainTextResponse(f"no file {name!r}", status_code=404)
    return Response(
        files("fastapi_offline").joinpath("static", name).read_bytes(),
        media_type=media_type,
        headers={"Cache-Control": "max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
