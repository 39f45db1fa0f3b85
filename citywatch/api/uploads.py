"""Uploads over HTTP: request bodies limited while they arrive, uploaded files read in chunks.

FastAPI parses a multipart body (spooling its files to temporary files) before the route runs, so
a limit checked inside the route would come after the disk had filled. `body_limit(...)` gives a
route class that refuses with 413 at once when `Content-Length` is over the limit, and otherwise
counts the bytes as they arrive and stops at the limit, whatever the header said (a chunked
upload sends none). The bytes are then vetted by `citywatch.ingest.uploads`, the one place that
decides what a photo or an archive may be.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response, UploadFile
from fastapi.routing import APIRoute
from starlette.types import Message

from citywatch.errors import TooLargeError
from citywatch.ingest.uploads import MIB

MULTIPART_SLACK_BYTES = 256 * 1024
"""Room for the multipart boundaries, part headers and small form fields around the files."""
CHUNK_BYTES = MIB


def too_large(what: str, max_bytes: int) -> TooLargeError:
    return TooLargeError(
        f"{what} is too large; expected at most {max_bytes // MIB} MiB (nothing was stored)"
    )


def body_too_large(what: str, max_bytes: int) -> HTTPException:
    """The same answer while the body arrives, as an HTTPException: FastAPI turns any other
    error raised while it parses a form into a 400."""
    return HTTPException(413, str(too_large(what, max_bytes)))


def body_limit(max_bytes: int, what: str) -> type[APIRoute]:
    """A route class whose request body may hold at most `max_bytes` (`what` names it in the
    413 answer), with `MULTIPART_SLACK_BYTES` more for the multipart framing."""
    allowed = max_bytes + MULTIPART_SLACK_BYTES

    class LimitedBodyRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handle = super().get_route_handler()

            async def limited(request: Request) -> Response:
                declared = request.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > allowed:
                    raise body_too_large(what, max_bytes)  # refused before a byte is read
                receive = request.receive
                received = 0

                async def counted() -> Message:
                    nonlocal received
                    message = await receive()
                    if message["type"] == "http.request":
                        received += len(message.get("body", b""))
                        if received > allowed:
                            raise body_too_large(what, max_bytes)
                    return message

                return await handle(Request(request.scope, counted))

            return limited

    return LimitedBodyRoute


def read_upload(upload: UploadFile, max_bytes: int, what: str) -> bytes:
    """An uploaded file's bytes, read in chunks; TooLargeError (413) past `max_bytes`, without
    reading further."""
    chunks, size = [], 0
    upload.file.seek(0)
    while chunk := upload.file.read(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise too_large(what, max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)
