"""Photo uploads and bulk imports over the real API, in-process, with real LFW photos and the real
detector and embedder: per-photo results, content-sniffed formats, size limits answered with 413
before anything is stored, and the same permissions as every other route.

Olga (officer) owns case C-olga with watchlist `list-olga`, which already holds one synthetic
"Person of olga"; oleg owns C-oleg; sam is a supervisor; ada the admin (`conftest.py`).
"""

from __future__ import annotations

import io
import sqlite3
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pytest
from fastapi import APIRouter, FastAPI, File, UploadFile
from fastapi.testclient import TestClient
from PIL import Image as PILImage

from citywatch.api.routes import watchlists as watchlist_routes
from citywatch.api.uploads import body_limit, read_upload
from citywatch.ingest import uploads

from .conftest import login

DATA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data"
LFW = DATA_DIR / "lfw" / "lfw-deepfunneled"
SERENA = [("Serena_Williams", n) for n in (1, 3, 14)]
AKHMED = [("Akhmed_Zakayev", n) for n in (1, 3)]
TWO_FACES = ("Adrien_Brody", 2)
"""A photo with a second face as large as the first: refused unless the largest is asked for."""

PHOTOS = "/api/watchlists/list-olga/people/{person}/photos"
IMPORT = "/api/watchlists/list-olga/import"
PEOPLE = "/api/watchlists/list-olga/people"


@pytest.fixture(scope="module", autouse=True)
def lfw() -> Path:
    if not LFW.is_dir():
        pytest.skip(f"{LFW} not found: the upload tests enrol real LFW photos (../shared/data)")
    return LFW


def lfw_bytes(name: str, number: int) -> bytes:
    return (LFW / name / f"{name}_{number:04d}.jpg").read_bytes()


def gradient_png() -> bytes:
    """A smooth gradient: a perfectly good image with no face in it."""
    ramp = np.linspace(0, 255, 320, dtype=np.uint8)
    pixels = np.stack([np.tile(ramp, (240, 1))] * 3, axis=-1)
    buffer = io.BytesIO()
    PILImage.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def zipped(members: Iterable[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def upload(
    client: TestClient,
    headers: dict[str, str],
    person: str,
    files: list[tuple[str, bytes]],
    url: str = PHOTOS,
    **form: str,
) -> Any:
    parts = [("photos", (name, data, "application/octet-stream")) for name, data in files]
    return client.post(url.format(person=person), files=parts, data=form, headers=headers)


def import_zip(
    client: TestClient, headers: dict[str, str], data: bytes, name: str = "portal.zip"
) -> Any:
    return client.post(IMPORT, files={"archive": (name, data, "application/zip")}, headers=headers)


def rows(home: Path, table: str) -> int:
    with sqlite3.connect(home / "citywatch.db") as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def audited(home: Path, action: str) -> list[str]:
    with sqlite3.connect(home / "citywatch.db") as db:
        found = db.execute(
            "SELECT object FROM audit_log WHERE action = ? ORDER BY sequence", (action,)
        )
        return [row[0] for row in found]


def by_photo(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {result["photo"]: result for result in body["data"]}


def people(client: TestClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    response = client.get(PEOPLE, headers=headers)
    assert response.status_code == 200, response.text
    listed = response.json()
    assert listed["count"] == len(listed["data"])
    return {person["name"]: person for person in listed["data"]}


# -- one person's photos ----------------------------------------------------------------------
def test_two_photos_of_one_person_are_enrolled_with_face_size_and_quality(
    alerting_client: TestClient, alerting_home: Path
) -> None:
    olga = login(alerting_client, "olga")
    files = [(f"serena-{n}.jpg", lfw_bytes(name, n)) for name, n in SERENA[:2]]

    response = upload(alerting_client, olga, "Serena Williams", files)

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["count"], body["enrolled"], body["rejected"]) == (2, 2, 0)
    assert body["detail"] == "2 of 2 photos of Serena Williams enrolled on list-olga"
    for result in body["data"]:
        assert result["status"] == "enrolled"
        assert result["person"] == "Serena Williams"
        assert result["reason"] == ""
        assert 90 < result["face_px"] < 200  # LFW faces are about 120 px high
        assert 0.5 < result["quality"] <= 1.0
    ids = [result["photo_id"] for result in body["data"]]
    listed = people(alerting_client, olga)
    assert listed["Serena Williams"]["photos"] == 2
    assert listed["Serena Williams"]["photo_ids"] == ids
    assert listed["Serena Williams"]["enrolled_at"] is not None
    assert audited(alerting_home, "person.enroll") == [f"photo:{i}" for i in ids]


def test_a_photo_without_a_face_is_rejected_while_the_good_one_is_enrolled(
    alerting_client: TestClient, alerting_home: Path
) -> None:
    olga = login(alerting_client, "olga")
    files = [("gradient.png", gradient_png()), ("serena.jpg", lfw_bytes(*SERENA[0]))]

    response = upload(alerting_client, olga, "Serena Williams", files)

    assert response.status_code == 201, response.text
    results = by_photo(response.json())
    assert results["serena.jpg"]["status"] == "enrolled"
    rejected = results["gradient.png"]
    assert rejected["status"] == "rejected"
    assert rejected["reason"].startswith("gradient.png: no face found")
    assert (rejected["photo_id"], rejected["face_px"], rejected["quality"]) == (None, None, None)
    assert people(alerting_client, olga)["Serena Williams"]["photos"] == 1
    assert len(audited(alerting_home, "person.enroll.rejected")) == 1


def test_a_text_file_named_jpg_is_refused_by_its_content_and_nothing_is_stored(
    alerting_client: TestClient, alerting_home: Path
) -> None:
    olga = login(alerting_client, "olga")
    before = rows(alerting_home, "photos")

    response = upload(alerting_client, olga, "Nobody", [("mugshot.jpg", b"not a picture\n")])

    assert response.status_code == 422
    body = response.json()
    assert (body["enrolled"], body["rejected"]) == (0, 1)
    assert "see each photo's reason" in body["detail"]
    reason = body["data"][0]["reason"]
    assert reason.startswith("mugshot.jpg: not an image file: the content is plain text")
    assert "expected a JPEG, PNG, WebP or BMP photo" in reason
    assert rows(alerting_home, "photos") == before
    assert "Nobody" not in people(alerting_client, olga)


def test_a_png_named_jpg_is_judged_by_its_content(alerting_client: TestClient) -> None:
    olga = login(alerting_client, "olga")
    buffer = io.BytesIO()
    PILImage.open(io.BytesIO(lfw_bytes(*AKHMED[0]))).save(buffer, "PNG")

    response = upload(alerting_client, olga, "Akhmed Zakayev", [("akhmed.jpg", buffer.getvalue())])

    assert response.status_code == 201, response.text
    assert response.json()["data"][0]["status"] == "enrolled"


def test_the_largest_face_is_taken_only_when_asked(alerting_client: TestClient) -> None:
    olga = login(alerting_client, "olga")
    files = [("brody.jpg", lfw_bytes(*TWO_FACES))]

    refused = upload(alerting_client, olga, "Adrien Brody", files)
    taken = upload(alerting_client, olga, "Adrien Brody", files, largest="true")

    assert refused.status_code == 422
    assert "2 faces found" in refused.json()["data"][0]["reason"]
    assert taken.status_code == 201, taken.text
    assert taken.json()["data"][0]["status"] == "enrolled"


def test_the_same_photo_twice_is_enrolled_once(
    alerting_client: TestClient, alerting_home: Path
) -> None:
    olga = login(alerting_client, "olga")
    files = [("serena.jpg", lfw_bytes(*SERENA[0]))]
    first = upload(alerting_client, olga, "Serena Williams", files)
    assert first.status_code == 201, first.text

    again = upload(alerting_client, olga, "Serena Williams", files)

    assert again.status_code == 422
    photo_id = first.json()["data"][0]["photo_id"]
    assert (
        f"already enrolled for Serena Williams as photo {photo_id}"
        in (again.json()["data"][0]["reason"])
    )
    assert people(alerting_client, olga)["Serena Williams"]["photos"] == 1


# -- limits -----------------------------------------------------------------------------------
def test_a_photo_over_the_size_limit_is_413_naming_the_limit_and_nothing_is_stored(
    alerting_client: TestClient, alerting_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watchlist_routes, "MAX_PHOTO_BYTES", uploads.MIB)
    olga = login(alerting_client, "olga")
    before = rows(alerting_home, "photos")
    files = [("serena.jpg", lfw_bytes(*SERENA[0])), ("huge.jpg", b"\xff\xd8\xff" * uploads.MIB)]

    response = upload(alerting_client, olga, "Serena Williams", files)

    assert response.status_code == 413
    assert response.json()["detail"] == (
        "photo 'huge.jpg' is too large; expected at most 1 MiB (nothing was stored)"
    )
    assert rows(alerting_home, "photos") == before


def test_a_request_declaring_more_than_the_limit_is_413_before_it_is_read(
    alerting_client: TestClient,
) -> None:
    olga = login(alerting_client, "olga")
    declared = uploads.MAX_PHOTOS_REQUEST_BYTES + 10 * uploads.MIB
    headers = {
        **olga,
        "Content-Type": "multipart/form-data; boundary=x",
        "Content-Length": str(declared),
    }

    response = alerting_client.post(
        PHOTOS.format(person="Serena Williams"), content=b"--x--\r\n", headers=headers
    )

    assert response.status_code == 413
    assert "expected at most 100 MiB" in response.json()["detail"]


def chunked_multipart(field: str, size: int, block: int = 256 * 1024) -> Iterator[bytes]:
    """A multipart body with one file of `size` zero bytes, sent in blocks: no Content-Length."""
    yield (
        f'--limit\r\nContent-Disposition: form-data; name="{field}"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    for start in range(0, size, block):
        yield bytes(min(block, size - start))
    yield b"\r\n--limit--\r\n"


def test_a_chunked_upload_is_cut_off_at_the_limit_whatever_it_declares() -> None:
    handled: list[int] = []

    def receive(upload: Annotated[UploadFile, File()]) -> dict[str, int]:
        handled.append(len(read_upload(upload, 64 * uploads.MIB, "the file")))
        return {"size": handled[-1]}

    router = APIRouter()
    limit = body_limit(uploads.MIB, "a test upload")
    router.add_api_route("/up", receive, methods=["POST"], route_class_override=limit)
    app = FastAPI()
    app.include_router(router)
    multipart = {"Content-Type": "multipart/form-data; boundary=limit"}

    with TestClient(app) as client:
        within = client.post("/up", content=chunked_multipart("upload", 900_000), headers=multipart)
        over = client.post("/up", content=chunked_multipart("upload", 3_000_000), headers=multipart)

    assert within.status_code == 200, within.text
    assert within.json() == {"size": 900_000}
    assert over.status_code == 413
    assert over.json()["detail"] == (
        "a test upload is too large; expected at most 1 MiB (nothing was stored)"
    )
    assert handled == [900_000]  # the route never ran for the upload over the limit


def test_too_many_photos_in_one_request_is_413(
    alerting_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watchlist_routes, "MAX_PHOTOS_PER_REQUEST", 2)
    olga = login(alerting_client, "olga")
    files = [(f"{n}.jpg", lfw_bytes(name, n)) for name, n in SERENA]

    response = upload(alerting_client, olga, "Serena Williams", files)

    assert response.status_code == 413
    assert "3 photos in one request is too many; expected at most 2" in response.json()["detail"]


# -- bulk import ------------------------------------------------------------------------------
def test_an_archive_with_a_folder_per_person_reports_every_photo(
    alerting_client: TestClient, alerting_home: Path
) -> None:
    olga = login(alerting_client, "olga")
    broken = lfw_bytes(*AKHMED[1])[:2000]
    archive = zipped(
        [
            *((f"Serena Williams/{n}.jpg", lfw_bytes(name, n)) for name, n in SERENA[:2]),
            ("Akhmed Zakayev/1.jpg", lfw_bytes(*AKHMED[0])),
            ("Akhmed Zakayev/broken.jpg", broken),
            ("../escape.jpg", lfw_bytes(*AKHMED[0])),
            ("__MACOSX/Akhmed Zakayev/._1.jpg", b"resource fork"),
            ("readme.txt", b"exported from the city portal"),
        ]
    )

    response = import_zip(alerting_client, olga, archive)

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["layout"], body["archive"], body["watchlist"]) == (
        "folders",
        "portal.zip",
        "list-olga",
    )
    assert (body["count"], body["enrolled"], body["rejected"], body["people"]) == (6, 3, 3, 2)
    results = by_photo(body)
    assert "__MACOSX/Akhmed Zakayev/._1.jpg" not in results
    for photo in ("Serena Williams/1.jpg", "Serena Williams/3.jpg", "Akhmed Zakayev/1.jpg"):
        assert results[photo]["status"] == "enrolled", results[photo]
        assert results[photo]["face_px"] > 90
    assert results["Akhmed Zakayev/1.jpg"]["person"] == "Akhmed Zakayev"
    assert "damaged or truncated" in results["Akhmed Zakayev/broken.jpg"]["reason"]
    assert results["Akhmed Zakayev/broken.jpg"]["person"] == "Akhmed Zakayev"
    assert "leaves the archive" in results["../escape.jpg"]["reason"]
    assert "names nobody" in results["readme.txt"]["reason"]
    listed = people(alerting_client, olga)
    assert (listed["Serena Williams"]["photos"], listed["Akhmed Zakayev"]["photos"]) == (2, 1)
    assert listed["Person of olga"]["photos"] == 1  # what was there before is untouched
    assert len(audited(alerting_home, "person.enroll")) == 3
    assert audited(alerting_home, "person.import") == ["watchlist:list-olga"]


def test_an_archive_with_people_csv_names_the_people(alerting_client: TestClient) -> None:
    olga = login(alerting_client, "olga")
    listing = (
        "person;photo;portal id\n"  # a spreadsheet export with semicolons
        "Serena Williams;photos/0001.jpg;17\n"
        "Akhmed Zakayev;photos/0002.jpg;18\n"
        "Somebody Else;photos/0003.jpg;19\n"
    )
    archive = zipped(
        [
            ("people.csv", listing.encode()),
            ("photos/0001.jpg", lfw_bytes(*SERENA[0])),
            ("photos/0002.jpg", lfw_bytes(*AKHMED[0])),
        ]
    )

    response = import_zip(alerting_client, olga, archive)

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["layout"], body["enrolled"], body["rejected"], body["people"]) == (
        "people.csv",
        2,
        1,
        2,
    )
    results = by_photo(body)
    assert results["photos/0001.jpg"]["person"] == "Serena Williams"
    assert results["photos/0002.jpg"]["person"] == "Akhmed Zakayev"
    assert (
        "people.csv line 4: photos/0003.jpg is not in the archive"
        in (results["photos/0003.jpg"]["reason"])
    )
    assert {"Serena Williams", "Akhmed Zakayev"} <= set(people(alerting_client, olga))


def test_importing_the_same_archive_again_adds_nothing(
    alerting_client: TestClient, alerting_home: Path
) -> None:
    olga = login(alerting_client, "olga")
    archive = zipped([("Serena Williams/1.jpg", lfw_bytes(*SERENA[0]))])
    assert import_zip(alerting_client, olga, archive).status_code == 201
    photos = rows(alerting_home, "photos")

    again = import_zip(alerting_client, olga, archive)

    assert again.status_code == 422
    assert "already enrolled" in again.json()["data"][0]["reason"]
    assert rows(alerting_home, "photos") == photos


@pytest.mark.parametrize(
    ("name", "data", "phrase"),
    [
        (
            "people.csv",
            b"person,photo\nJane Doe,jane.jpg\n",
            "a CSV file alone cannot carry photos",
        ),
        ("portal.zip", b"%PDF-1.7 not an archive", "not a ZIP archive (the content is a PDF"),
        ("portal.zip", b"PK\x03\x04 truncated", "not a readable ZIP archive"),
        ("bomb.zip", zipped([("Jane/1.bmp", bytes(64 * uploads.MIB))]), "decompression bomb"),
        ("empty.zip", zipped([("Jane/", b"")]), "holds no photos"),
        ("bad-csv.zip", zipped([("people.csv", b"name,file\n")]), "person and photo"),
    ],
)
def test_an_unusable_archive_is_422_naming_it_and_stores_nothing(
    alerting_client: TestClient, alerting_home: Path, name: str, data: bytes, phrase: str
) -> None:
    olga = login(alerting_client, "olga")
    before = (rows(alerting_home, "people"), rows(alerting_home, "photos"))

    response = import_zip(alerting_client, olga, data, name)

    assert response.status_code == 422
    assert f"{name}: " in response.json()["detail"]
    assert phrase in response.json()["detail"]
    assert (rows(alerting_home, "people"), rows(alerting_home, "photos")) == before


# -- who may -----------------------------------------------------------------------------------
def test_another_officers_list_answers_as_an_unknown_one_and_stores_nothing(
    alerting_client: TestClient, alerting_home: Path
) -> None:
    oleg = login(alerting_client, "oleg")
    files = [("serena.jpg", lfw_bytes(*SERENA[0]))]
    archive = zipped([("Serena Williams/1.jpg", lfw_bytes(*SERENA[0]))])
    before = rows(alerting_home, "photos")
    refusals = len(audited(alerting_home, "access.denied"))

    for name in ("list-olga", "no-such-list"):
        base = f"/api/watchlists/{name}"
        answers = [
            alerting_client.get(f"{base}/people", headers=oleg),
            upload(alerting_client, oleg, "Serena", files, url=base + "/people/{person}/photos"),
            alerting_client.post(
                f"{base}/import",
                files={"archive": ("a.zip", archive, "application/zip")},
                headers=oleg,
            ),
        ]
        for response in answers:
            assert response.status_code == 404, (name, response.text)
            # Word for word what a wrong name gets: it names only the lists oleg may see.
            assert response.json()["detail"] == (
                f"no watchlist named {name!r} (existing: list-oleg); create it with "
                f"'citywatch watchlist create {name} --case REFERENCE'"
            )

    assert rows(alerting_home, "photos") == before
    # The truth is in the audit log: three refusals on olga's list, none for a name that is not.
    assert len(audited(alerting_home, "access.denied")) == refusals + 3


def test_who_may_see_but_not_enrol_is_refused_with_the_reason(
    alerting_client: TestClient, alerting_home: Path
) -> None:
    files = [("serena.jpg", lfw_bytes(*SERENA[0]))]
    archive = zipped([("Serena Williams/1.jpg", lfw_bytes(*SERENA[0]))])
    before = rows(alerting_home, "photos")

    for user, role in (("sam", "supervisor"), ("ada", "admin")):
        headers = login(alerting_client, user)
        photos = upload(alerting_client, headers, "Serena Williams", files)
        imported = import_zip(alerting_client, headers, archive)
        assert (photos.status_code, imported.status_code) == (403, 403), user
        refused = f"{user} may not person.enroll: {user} has {role} (roles that may: officer)"
        assert photos.json()["detail"] == refused
        assert imported.json()["detail"] == refused

    assert rows(alerting_home, "photos") == before


def test_people_are_shown_to_the_case_officer_and_supervisors_only(
    alerting_client: TestClient,
) -> None:
    assert set(people(alerting_client, login(alerting_client, "olga"))) == {"Person of olga"}
    assert set(people(alerting_client, login(alerting_client, "sam"))) == {"Person of olga"}
    admin = alerting_client.get(PEOPLE, headers=login(alerting_client, "ada"))
    assert admin.status_code == 403
    assert "ada may not watchlist.view" in admin.json()["detail"]
    assert alerting_client.get(PEOPLE, headers=login(alerting_client, "oleg")).status_code == 404


def test_viewing_the_people_of_a_list_is_audited(
    alerting_client: TestClient, alerting_home: Path
) -> None:
    people(alerting_client, login(alerting_client, "sam"))

    assert audited(alerting_home, "watchlist.view") == ["watchlist:list-olga"]


def test_uploads_need_a_session(alerting_client: TestClient) -> None:
    response = upload(alerting_client, {}, "Serena Williams", [("a.jpg", lfw_bytes(*SERENA[0]))])

    assert response.status_code == 401


def test_the_upload_routes_are_in_the_openapi_document(alerting_client: TestClient) -> None:
    paths = alerting_client.get("/api/openapi.json").json()["paths"]

    assert "get" in paths["/api/watchlists/{name}/people"]
    photos = paths["/api/watchlists/{name}/people/{person}/photos"]["post"]
    assert "multipart/form-data" in photos["requestBody"]["content"]
    assert {"201", "413", "422"} <= set(photos["responses"])
    assert "413" in paths["/api/watchlists/{name}/import"]["post"]["responses"]
