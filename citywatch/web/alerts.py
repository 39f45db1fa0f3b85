"""The live alert wall, its event stream, the evidence images and the review queue.

Everything goes through the services, so every view is audited and every review is checked by
the same two-person rules as the CLI and the API. Images are served only as the crop or the
enrolled photo of an alert the user may see (`Services.alert_image`: an audited view, from inside
the media folder, never from a path the request names), with bystanders' faces blurred.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Header, Query, Request
from fastapi.responses import PlainTextResponse, Response

from citywatch.alerts.review import status_label
from citywatch.cases.policy import may
from citywatch.errors import CitywatchError
from citywatch.types import Alert
from citywatch.web.pictures import jpeg_response, picture_problem
from citywatch.web.rendering import error_page, render, status_of
from citywatch.web.session import SignedIn, WebSession, refused_form, to_login

router = APIRouter()
WALL_SIZE = 50
QUEUE_SIZE = 100


def card(alert: Alert) -> dict[str, object]:
    """What an alert card shows, the same whether rendered here or built live by wall.js."""
    return {
        "alert": alert,
        "label": status_label(alert.status, alert.confirmations),
        "seen_at": alert.first_seen_at or alert.created_at,
    }


@router.get("/")
def wall(request: Request, session: SignedIn) -> Response:
    if session is None:
        return to_login(request)
    services = session.services
    try:
        # The stream's starting point is read before the list: an alert raised in between is
        # then in both, and wall.js shows it once.
        start = services.store.outbox.latest_id()
        alerts = services.alerts(limit=WALL_SIZE)
    except CitywatchError as error:
        return error_page(request, error, user=session.user, csrf=session.csrf)
    return render(
        request,
        "wall.html",
        session.user,
        session.csrf,
        cards=[card(a) for a in alerts],
        stream=f"/events?after={start}",
    )


@router.get("/events", response_model=None)
def events(
    request: Request,
    session: SignedIn,
    after: Annotated[int | None, Query(ge=0)] = None,
    last_event_id: Annotated[str | None, Header()] = None,
) -> Response:
    """`GET /api/alerts/stream` for the browser: EventSource cannot send an Authorization
    header, so this one takes the session cookie and hands over to the same stream."""
    # Imported here: the API's app module includes this package's router (see rendering.py).
    from citywatch.api.routes.stream import stream_alerts

    if session is None:
        return PlainTextResponse("not signed in", status_code=401)
    try:
        return stream_alerts(request, session.services, after, last_event_id)
    except CitywatchError as error:
        return PlainTextResponse(str(error), status_code=status_of(error))


@router.get("/media/alerts/{alert_id}/{kind}", response_model=None)
def alert_image(request: Request, alert_id: int, kind: str, session: SignedIn) -> Response:
    """The evidence crop (`crop`) or the enrolled photo it matched (`photo`) of one alert, with
    every face but the matched one blurred (`Services.alert_image`)."""
    if session is None:
        return picture_problem("not signed in", 401)
    try:
        return jpeg_response(session.services.alert_image(alert_id, kind))
    except CitywatchError as error:
        return picture_problem(str(error), status_of(error))


def review_page(
    request: Request, session: WebSession, message: str = "", error: str = "", status: int = 200
) -> Response:
    services = session.services
    try:
        pending = services.alerts("pending", QUEUE_SIZE)
        cases = {case.id: case for case in services.cases()}
    except CitywatchError as failure:
        return error_page(request, failure, user=session.user, csrf=session.csrf)
    now = services.now()
    queue = [
        {
            **card(alert),
            "may_review": alert.case_id in cases
            and may(session.user, "alert.review", cases[alert.case_id], now),
        }
        for alert in pending
    ]
    return render(
        request,
        "review.html",
        session.user,
        session.csrf,
        status,
        queue=queue,
        message=message,
        error=error,
    )


@router.get("/review")
def review_queue(request: Request, session: SignedIn) -> Response:
    if session is None:
        return to_login(request)
    return review_page(request, session)


@router.post("/review/{alert_id}")
def review(
    request: Request,
    alert_id: int,
    session: SignedIn,
    decision: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    not_this_person: Annotated[bool, Form()] = False,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    if session is None:
        return to_login(request)
    if not session.form_is_genuine(csrf_token):
        return refused_form(request, session)
    try:
        reviewed = session.services.review(alert_id, decision, note, not_this_person)
    except CitywatchError as error:
        return review_page(request, session, error=str(error), status=status_of(error))
    label = status_label(reviewed.status, reviewed.confirmations)
    return review_page(request, session, message=f"alert {alert_id} reviewed: now {label}")
