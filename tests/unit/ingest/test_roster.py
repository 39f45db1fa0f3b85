"""Who is who in an import archive: a folder per person, or people.csv; nothing silently dropped."""

from __future__ import annotations

import io
import zipfile

import pytest

from citywatch.errors import InputError
from citywatch.ingest import uploads
from citywatch.ingest.roster import archive_layout, people_in_archive
from citywatch.ingest.uploads import ZipUpload
from citywatch.types import ImportItem


def zipped(members: tuple[tuple[str, bytes], ...]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def roster(*members: tuple[str, bytes]) -> tuple[str, list[ImportItem]]:
    with ZipUpload(zipped(members), "import.zip") as archive:
        return archive_layout(archive), people_in_archive(archive)


def assigned(items: list[ImportItem]) -> list[tuple[str, str]]:
    return [(item.person, item.member) for item in items if not item.reason]


def refused(items: list[ImportItem]) -> dict[str, str]:
    return {item.member: item.reason for item in items if item.reason}


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        (
            ["Jane Doe/1.jpg", "Jane Doe/2019/2.png", "John Roe/a.jpg"],
            [("Jane Doe", "Jane Doe/1.jpg"), ("Jane Doe", "Jane Doe/2019/2.png")]
            + [("John Roe", "John Roe/a.jpg")],
        ),
        # One zipped folder around it all ("compress folder") is looked through.
        (
            ["export/Jane Doe/1.jpg", "export/John Roe/a.jpg"],
            [("Jane Doe", "export/Jane Doe/1.jpg"), ("John Roe", "export/John Roe/a.jpg")],
        ),
        # One person's folder is that person, not a wrapper.
        (
            ["Jane Doe/1.jpg", "Jane Doe/2.jpg"],
            [("Jane Doe", "Jane Doe/1.jpg"), ("Jane Doe", "Jane Doe/2.jpg")],
        ),
    ],
)
def test_a_folder_per_person_names_each_photo(
    members: list[str], expected: list[tuple[str, str]]
) -> None:
    layout, items = roster(*((member, b"x") for member in members))

    assert layout == "folders"
    assert assigned(items) == expected
    assert refused(items) == {}


def test_a_photo_outside_any_folder_is_reported_not_dropped() -> None:
    _, items = roster(("Jane Doe/1.jpg", b"x"), ("loose.jpg", b"y"), ("../evil.jpg", b"z"))

    assert assigned(items) == [("Jane Doe", "Jane Doe/1.jpg")]
    reasons = refused(items)
    assert "names nobody" in reasons["loose.jpg"]
    assert "'Jane Doe/loose.jpg'" in reasons["loose.jpg"]
    assert "leaves the archive" in reasons["../evil.jpg"]


def test_people_csv_names_each_photo_and_reports_what_it_cannot_use() -> None:
    listing = (
        "person,photo,notes\n"
        "Jane Doe,photos/jane.jpg,portal 2024\n"
        " John Roe ,./photos/john.jpg,\n"
        "Ann Poe,photos/missing.jpg,\n"
        ",photos/nobody.jpg,\n"
        "\n"
        "Jane Doe,photos/../evil.jpg,\n"
    )
    layout, items = roster(
        ("people.csv", listing.encode()),
        ("photos/jane.jpg", b"j"),
        ("photos/john.jpg", b"k"),
        ("photos/nobody.jpg", b"n"),
        ("photos/unlisted.jpg", b"u"),
    )

    assert layout == "people.csv"
    assert assigned(items) == [("Jane Doe", "photos/jane.jpg"), ("John Roe", "photos/john.jpg")]
    reasons = refused(items)
    assert (
        "people.csv line 4: photos/missing.jpg is not in the archive"
        in reasons["photos/missing.jpg"]
    )
    assert "people.csv line 5: no person" in reasons["photos/nobody.jpg"]
    assert "not in the archive" in reasons["photos/../evil.jpg"]
    assert "not named in people.csv" in reasons["photos/unlisted.jpg"]
    assert len(items) == 6  # five rows and the unlisted photo: the CSV itself is no photo


def test_people_csv_from_a_spreadsheet_with_semicolons_and_a_bom_is_read() -> None:
    listing = "\ufeffPerson;Photo\r\nJane Doe;jane.jpg\r\nJohn Roe;export/john.jpg\r\n"
    layout, items = roster(
        ("export/people.csv", listing.encode()),
        ("export/jane.jpg", b"j"),
        ("export/john.jpg", b"k"),
    )

    assert layout == "people.csv"  # in the one zipped folder, paths from it or from the top
    assert assigned(items) == [("Jane Doe", "export/jane.jpg"), ("John Roe", "export/john.jpg")]


@pytest.mark.parametrize(
    ("listing", "phrase"),
    [
        (
            b"name,file\nJane,jane.jpg\n",
            "expected a header row naming the columns person and photo",
        ),
        (b"", "the header row is empty"),
        ("person,photo\nJos\xe9,a.jpg\n".encode("latin-1"), "not UTF-8 text"),
    ],
)
def test_an_unusable_people_csv_refuses_the_whole_import(listing: bytes, phrase: str) -> None:
    with pytest.raises(InputError) as caught:
        roster(("people.csv", listing), ("jane.jpg", b"j"))

    assert "people.csv in import.zip" in str(caught.value)
    assert phrase in str(caught.value)


def test_a_people_csv_over_its_size_limit_refuses_the_whole_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(uploads, "MAX_CSV_BYTES", 100)
    listing = "person,photo\n" + "Jane Doe,jane.jpg\n" * 10

    with pytest.raises(InputError) as caught:
        roster(("people.csv", listing.encode()), ("jane.jpg", b"j"))

    assert str(caught.value).startswith("import.zip: people.csv: 0.0 MiB is too large")
