"""Live alerts as Server-Sent Events: `GET /api/alerts/stream`.

Events come from the durable outbox (`alert_events`), so every process that raises alerts (the
camera runtime, a scan) reaches every connected client, and a client that reconnects with
`Last-Event-ID` gets what it missed. Each event: `id` (resume point), `event` (raised, extended,
reviewed) and `data` (the alert as `AlertPublic` JSON). Only alerts of cases the user may see are
sent, and sending them is an audited view.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from citywatch.api.deps import UserServices
from citywatch.api.schemas import AlertPublic
from citywatch.services import build_services

router = APIRouter(prefix="/alerts", tags=["alerts"])
POLL_S = 0.5
KEEP_ALIVE_S = 15.0


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "alert events"}},
)
def stream_alerts(
    request: Request,
    services: UserServices,
    after: Annotated[int | None, Query(ge=0, description="Resume after this event id")] = None,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    user = services.require("alert.view")
    visible = services.visible_case_ids(user)
    if after is None and last_event_id is not None and last_event_id.isdigit():
        after = int(last_event_id)
    start = services.store.outbox.latest_id() if after is None else after
    settings = services.settings

    async def events() -> AsyncIterator[str]:
        # Its own services: the request's are closed when the handler returns.
        own = build_services(settings)
        own.actor = user
        last, quiet_s = start, 0.0
        try:
            yield "retry: 2000\n\n"
            while not await request.is_disconnected():
                batch = await run_in_threadpool(own.alert_events, last, visible)
                for event, alert in batch:
                    data = AlertPublic.of(alert).model_dump_json()
                    yield f"id: {event.id}\nevent: {event.kind}\ndata: {data}\n\n"
                    last = event.id
                quiet_s = 0.0 if batch else quiet_s + POLL_S
                if quiet_s >= KEEP_ALIVE_S:
                    quiet_s = 0.0
                    yield ": keep-alive\n\n"
                await asyncio.sleep(POLL_S)
        finally:
            own.close()

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
