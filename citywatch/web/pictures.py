"""Answers for `<img>` requests: JPEG bytes, or a picture saying why there is none.

An `<img>` cannot show an error page, and a broken-image icon tells the operator nothing; so a
failed picture is answered with its HTTP status and a small SVG that states the problem. The SVG
is built here from escaped text (no script, no external reference) and sent with a CSP that
forbids everything, in case someone opens it directly.
"""

from __future__ import annotations

import textwrap
from xml.sax.saxutils import escape

from fastapi.responses import Response

PICTURE_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
SVG_HEADERS = {**PICTURE_HEADERS, "Content-Security-Policy": "default-src 'none'"}
LINE_CHARS = 58
MAX_LINES = 6


def jpeg_response(data: bytes) -> Response:
    return Response(data, media_type="image/jpeg", headers=PICTURE_HEADERS)


def picture_problem(problem: str, status: int) -> Response:
    lines = textwrap.wrap(problem, LINE_CHARS) or ["no picture"]
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], lines[MAX_LINES - 1][: LINE_CHARS - 1] + "…"]
    height = 60 + 20 * len(lines)
    text = "".join(
        f'<text x="20" y="{58 + 20 * index}">{escape(line)}</text>'
        for index, line in enumerate(lines)
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="480" height="{height}" '
        f'viewBox="0 0 480 {height}" role="img">'
        f'<rect width="480" height="{height}" fill="#2a3138"/>'
        '<g font-family="DejaVu Sans, sans-serif" font-size="13" fill="#e4e8eb">'
        '<text x="20" y="32" font-weight="bold" fill="#f0b429">No picture</text>'
        f"{text}</g></svg>"
    )
    return Response(svg, status_code=status, media_type="image/svg+xml", headers=SVG_HEADERS)
