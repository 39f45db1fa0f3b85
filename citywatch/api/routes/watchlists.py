"""Watchlists: each belongs to an active case of the officer who creates it; the people on a list,
and their photos, uploaded for one person or imported in bulk from a ZIP archive.

Uploads are limited while they arrive (413, naming the limit, nothing stored); what arrives is
vetted by content, never by file name, before anything decodes it (`citywatch.ingest.uploads`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, UploadFile
from fastapi.responses import JSONResponse

from citywatch.api.deps import UserServices
from citywatch.api.schemas import (
    EnrolmentsPublic,
    ImportPublic,
    PeoplePublic,
    PersonPublic,
    WatchlistCreate,
    WatchlistPublic,
    WatchlistsPublic,
)
from citywatch.api.uploads import body_limit, read_upload
from citywatch.ingest.uploads import (
    MAX_ARCHIVE_BYTES,
    MAX_PHOTO_BYTES,
    MAX_PHOTOS_PER_REQUEST,
    MAX_PHOTOS_REQUEST_BYTES,
    MIB,
    safe_name,
)
from citywatch.types import UploadedPhoto

router = APIRouter(prefix="/watchlists", tags=["watchlists"])

TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {"description": "The upload is over a size limit (named in `detail`); nothing stored"}
}


@router.get("")
def list_watchlists(services: UserServices) -> WatchlistsPublic:
    lists = [WatchlistPublic.of(w) for w in services.watchlists()]
    return WatchlistsPublic(data=lists, count=len(lists))


@router.post("", status_code=201)
def create_watchlist(body: WatchlistCreate, services: UserServices) -> WatchlistPublic:
    created = services.create_watchlist(
        body.name, body.min_similarity, body.case, body.colour, body.priority
    )
    return WatchlistPublic.of(created)


@router.get("/{name}/people")
def list_people(name: str, services: UserServices) -> PeoplePublic:
    people = [PersonPublic.of(p) for p in services.people(name)]
    return PeoplePublic(data=people, count=len(people))


def enrol_photos(
    name: str,
    person: str,
    services: UserServices,
    photos: Annotated[
        list[UploadFile],
        File(
            description="One or more photos (JPEG, PNG, WebP or BMP), at most "
            f"{MAX_PHOTOS_PER_REQUEST}"
        ),
    ],
    largest: Annotated[
        bool, Form(description="Take the largest face of a photo with several")
    ] = False,
) -> JSONResponse:
    """Enrol photos of one person; each photo is enrolled or rejected with its reason."""
    if len(photos) > MAX_PHOTOS_PER_REQUEST:
        raise HTTPException(
            413,
            f"{len(photos)} photos in one request is too many; expected at most "
            f"{MAX_PHOTOS_PER_REQUEST} (send more in another request, or import a ZIP archive)",
        )
    uploaded = []
    for number, upload in enumerate(photos, start=1):
        photo_name = safe_name(upload.filename, f"photo {number}")
        data = read_upload(upload, MAX_PHOTO_BYTES, f"photo {photo_name!r}")
        uploaded.append(UploadedPhoto(photo_name, data))
    results = services.enroll_photos(name, person, uploaded, largest)
    body = EnrolmentsPublic.of(name, person.strip(), results)
    return JSONResponse(body.model_dump(mode="json"), status_code=201 if body.enrolled else 422)


router.add_api_route(
    "/{name}/people/{person}/photos",
    enrol_photos,
    methods=["POST"],
    status_code=201,
    response_model=EnrolmentsPublic,
    responses={
        422: {"model": EnrolmentsPublic, "description": "No photo was enrolled: see each reason"},
        **TOO_LARGE,
    },
    route_class_override=body_limit(
        MAX_PHOTOS_REQUEST_BYTES, f"a request of photos (at most {MAX_PHOTO_BYTES // MIB} MiB each)"
    ),
)


def import_archive(
    name: str,
    services: UserServices,
    archive: Annotated[
        UploadFile,
        File(
            description="A ZIP archive: a folder per person ('Jane Doe/1.jpg'), or people.csv "
            "at its root with columns person,photo"
        ),
    ],
    largest: Annotated[
        bool, Form(description="Take the largest face of a photo with several")
    ] = False,
) -> JSONResponse:
    """Enrol the people and photos of a ZIP archive; one result per photo."""
    archive_name = safe_name(archive.filename, "archive")
    data = read_upload(archive, MAX_ARCHIVE_BYTES, f"archive {archive_name!r}")
    report = services.import_people(name, data, archive_name, largest)
    body = ImportPublic.of(report)
    return JSONResponse(body.model_dump(mode="json"), status_code=201 if body.enrolled else 422)


router.add_api_route(
    "/{name}/import",
    import_archive,
    methods=["POST"],
    status_code=201,
    response_model=ImportPublic,
    responses={
        422: {
            "model": ImportPublic,
            "description": "No photo was enrolled (see each reason), or the archive itself "
            "cannot be used (`detail` says why)",
        },
        **TOO_LARGE,
    },
    route_class_override=body_limit(MAX_ARCHIVE_BYTES, "an import archive"),
)
