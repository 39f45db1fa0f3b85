"""Watchlists and the people on them: the lists of the user's cases (with the colour and
priority their alerts are marked with on the wall), creating one for an active case (officers),
and a list's people with the photo upload (several files for one person, each enrolled or
rejected with its reason, its face size and quality shown).

Uploads go through the same vetting as the API's (`citywatch.ingest.uploads` via
`Services.enroll_photos`): the request body is limited while it arrives (`body_limit`), each
photo is read with a byte limit, and its format is judged by content, never by its name. A list
name travels in the form when posting (a name may hold a slash), as case references do.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from citywatch.api.uploads import body_limit, read_upload
from citywatch.cases.policy import may, may_role
from citywatch.errors import CitywatchError, InputError, TooLargeError
from citywatch.ingest.uploads import (
    MAX_PHOTO_BYTES,
    MAX_PHOTOS_PER_REQUEST,
    MAX_PHOTOS_REQUEST_BYTES,
    MIB,
    safe_name,
)
from citywatch.types import WATCHLIST_PRIORITIES, PhotoEnrollment, UploadedPhoto
from citywatch.web.rendering import error_page, render, status_of
from citywatch.web.session import SignedIn, WebSession, refused_form, to_login

router = APIRouter()


def lists_page(
    request: Request,
    session: WebSession,
    message: str = "",
    error: str = "",
    status: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    services, user = session.services, session.user
    try:
        watchlists = services.watchlists()
        cases = services.cases()
    except CitywatchError as failure:
        return error_page(request, failure, user=user, csrf=session.csrf)
    now = services.now()
    states = {case.reference: case.state(now) for case in cases}
    usable = [case for case in cases if may(user, "watchlist.create", case, now)]
    return render(
        request,
        "watchlists.html",
        user,
        session.csrf,
        status,
        watchlists=watchlists,
        states=states,
        usable_cases=usable,
        may_create=may_role(user, "watchlist.create"),
        default_min_similarity=services.default_min_similarity,
        priorities=WATCHLIST_PRIORITIES,
        form=form or {},
        message=message,
        error=error,
    )


@router.get("/watchlists")
def list_watchlists(request: Request, session: SignedIn) -> Response:
    if session is None:
        return to_login(request)
    return lists_page(request, session)


def similarity(text: str) -> float | None:
    if not text.strip():
        return None
    try:
        return float(text.strip())
    except ValueError:
        raise InputError(
            f"minimum similarity {text.strip()!r} is not a number; expected a cosine similarity "
            "between -1 and 1, or nothing for the calibrated default"
        ) from None


@router.post("/watchlists")
def create_watchlist(
    request: Request,
    session: SignedIn,
    name: Annotated[str, Form()] = "",
    case: Annotated[str, Form()] = "",
    min_similarity: Annotated[str, Form()] = "",
    colour: Annotated[str, Form()] = "",
    priority: Annotated[str, Form()] = "normal",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    if session is None:
        return to_login(request)
    if not session.form_is_genuine(csrf_token):
        return refused_form(request, session)
    form = {
        "name": name,
        "case": case,
        "min_similarity": min_similarity,
        "colour": colour,
        "priority": priority,
    }
    try:
        created = session.services.create_watchlist(
            name, similarity(min_similarity), case, colour.strip() or None, priority
        )
    except CitywatchError as failure:
        return lists_page(
            request, session, error=str(failure), status=status_of(failure), form=form
        )
    return lists_page(
        request,
        session,
        message=f"watchlist {created.name} created in case {created.case_reference}",
    )


def people_page(
    request: Request,
    session: WebSession,
    name: str,
    message: str = "",
    error: str = "",
    status: int = 200,
    results: list[PhotoEnrollment] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    services, user = session.services, session.user
    try:
        people = services.people(name)  # 404 for a list the user may not see, audited view
        listed = next((w for w in services.watchlists() if w.name == name), None)
        case = services.case(listed.case_reference) if listed else None
    except CitywatchError as failure:
        return error_page(request, failure, user=user, csrf=session.csrf)
    return render(
        request,
        "watchlist.html",
        user,
        session.csrf,
        status,
        watchlist=listed,
        name=name,
        case=case,
        case_state=case.state(services.now()) if case else "",
        people=people,
        may_enroll=case is not None and may(user, "person.enroll", case, services.now()),
        max_photos=MAX_PHOTOS_PER_REQUEST,
        max_photo_mib=MAX_PHOTO_BYTES // MIB,
        results=results,
        form=form or {},
        message=message,
        error=error,
    )


@router.get("/watchlists/{name:path}")
def show_watchlist(request: Request, name: str, session: SignedIn) -> Response:
    if session is None:
        return to_login(request)
    return people_page(request, session, name)


def read_photo(upload: UploadFile, number: int) -> UploadedPhoto | PhotoEnrollment:
    """The photo's bytes, or its rejection when it is over the size limit (read no further)."""
    name = safe_name(upload.filename, f"photo {number}")
    try:
        return UploadedPhoto(name, read_upload(upload, MAX_PHOTO_BYTES, f"photo {name!r}"))
    except TooLargeError as error:
        return PhotoEnrollment(name, "rejected", str(error))


def upload_photos(
    request: Request,
    session: SignedIn,
    watchlist: Annotated[str, Form()] = "",
    person: Annotated[str, Form()] = "",
    photos: Annotated[list[UploadFile] | None, File()] = None,
    take_largest: Annotated[bool, Form()] = False,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Enrol the photos of one person; the page lists each photo's outcome."""
    if session is None:
        return to_login(request)
    if not session.form_is_genuine(csrf_token):
        return refused_form(request, session)
    chosen = [upload for upload in photos or [] if upload.filename]
    form = {"person": person, "take_largest": "on" if take_largest else ""}
    try:
        if len(chosen) > MAX_PHOTOS_PER_REQUEST:
            raise InputError(
                f"{len(chosen)} photos at once is too many; expected at most "
                f"{MAX_PHOTOS_PER_REQUEST} (upload the rest in another round)"
            )
        read = [read_photo(upload, number) for number, upload in enumerate(chosen, start=1)]
        uploaded = [item for item in read if isinstance(item, UploadedPhoto)]
        if uploaded or not read:
            enrolled = session.services.enroll_photos(watchlist, person, uploaded, take_largest)
        else:  # every photo was too large: nothing to enrol, but the list must be theirs
            session.services.people(watchlist)
            enrolled = []
    except CitywatchError as failure:
        return people_page(
            request,
            session,
            watchlist,
            error=str(failure),
            status=status_of(failure),
            form=form,
        )
    outcomes = iter(enrolled)
    results = [item if isinstance(item, PhotoEnrollment) else next(outcomes) for item in read]
    count = sum(result.status == "enrolled" for result in results)
    summary = f"{count} of {len(results)} photos of {person.strip()} enrolled on {watchlist}"
    if count:
        return people_page(request, session, watchlist, message=summary, results=results)
    return people_page(
        request,
        session,
        watchlist,
        error=summary + "; see each photo's reason below",
        status=422,
        results=results,
        form=form,
    )


router.add_api_route(
    "/watchlists/photos",
    upload_photos,
    methods=["POST"],
    route_class_override=body_limit(
        MAX_PHOTOS_REQUEST_BYTES, f"a request of photos (at most {MAX_PHOTO_BYTES // MIB} MiB each)"
    ),
)
