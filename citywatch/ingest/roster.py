"""Who is who in an import archive: the person each photo of a `ZipUpload` is for.

Two layouts, as a city's photo portal exports them:

- `folders`: a folder per person, named after them: `Jane Doe/1.jpg`, `Jane Doe/2019/2.png`.
  The person is the first folder; deeper folders are the person's own business.
- `people.csv`: a file `people.csv` at the root with a header row naming the columns `person` and
  `photo` (others are ignored), one row per photo; `photo` is the member's path in the archive.
  Commas, semicolons or tabs separate the columns (spreadsheets differ by country); UTF-8, with or
  without a byte-order mark.

An archive made by zipping a folder holds everything inside that one folder (`export/Jane
Doe/1.jpg`, `export/people.csv`): that outer folder is looked through (people.csv's paths may then
start inside it or above it). Nothing is silently
dropped: a photo with no person (at the root of a folder archive, or not named by people.csv), a
row naming a photo the archive lacks, each becomes an item with its reason.
"""

from __future__ import annotations

import csv
import io

from citywatch.errors import InputError
from citywatch.ingest.uploads import MAX_ARCHIVE_MEMBERS, ZipUpload
from citywatch.types import ImportItem

PEOPLE_CSV = "people.csv"
LAYOUTS = ("folders", PEOPLE_CSV)


def _outer_folder(members: tuple[str, ...]) -> str:
    """`top/` when the archive is one zipped folder holding the layout, else ``."""
    if not members or any("/" not in member for member in members):
        return ""
    top = members[0].split("/", 1)[0] + "/"
    if not all(member.startswith(top) for member in members):
        return ""
    inner = [member[len(top) :] for member in members]
    if all("/" in member for member in inner) or PEOPLE_CSV in (m.lower() for m in inner):
        return top
    return ""  # `Jane Doe/1.jpg, Jane Doe/2.jpg`: one person's folder, not a wrapper


def _people_csv(archive: ZipUpload) -> ImportItem | None:
    """The people.csv entry at the archive's root (refused ones too: their reason stops the
    import, as an unreadable listing would)."""
    outer = _outer_folder(tuple(entry.member for entry in archive.entries))
    for entry in archive.entries:
        if entry.member.lower() == f"{outer}{PEOPLE_CSV}".lower():
            return entry
    return None


def archive_layout(archive: ZipUpload) -> str:
    """`people.csv` when the archive has one at its root, else `folders`."""
    return PEOPLE_CSV if _people_csv(archive) else "folders"


def people_in_archive(archive: ZipUpload) -> list[ImportItem]:
    """One item per photo of the archive (and per people.csv row), with its person, or with the
    reason it cannot be imported. InputError when people.csv itself cannot be used (then nobody
    can be told apart, and nothing should be enrolled)."""
    listing = _people_csv(archive)
    if listing is not None:
        if listing.reason:
            raise InputError(f"{archive.name}: {listing.reason}")
        return _by_csv(archive, listing.member)
    outer = _outer_folder(archive.members)
    items = []
    for entry in archive.entries:
        if entry.reason:
            items.append(entry)
            continue
        inner = entry.member[len(outer) :]
        if "/" not in inner:
            items.append(
                ImportItem(
                    "",
                    entry.member,
                    f"{entry.member}: names nobody; expected it in a folder named after the "
                    f"person ('Jane Doe/{inner}'), or a people.csv at the root naming it",
                )
            )
            continue
        items.append(ImportItem(inner.split("/", 1)[0].strip(), entry.member))
    return items


def _rows(archive: ZipUpload, listing: str) -> list[list[str]]:
    data = archive.read(listing)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(
            f"{listing} in {archive.name}: not UTF-8 text; expected a CSV saved as UTF-8 with "
            "columns person,photo"
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count) if any(d in first for d in ",;\t") else ","
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as error:
        raise InputError(
            f"{listing} in {archive.name}: not readable as CSV ({error}); expected columns "
            "person,photo"
        ) from None
    if len(rows) > MAX_ARCHIVE_MEMBERS + 1:
        raise InputError(
            f"{listing} in {archive.name}: {len(rows) - 1} rows; expected at most "
            f"{MAX_ARCHIVE_MEMBERS} (split the import)"
        )
    return rows


def _by_csv(archive: ZipUpload, listing: str) -> list[ImportItem]:
    rows = _rows(archive, listing)
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    if "person" not in header or "photo" not in header:
        raise InputError(
            f"{listing} in {archive.name}: the header row is {','.join(header) or 'empty'}; "
            "expected a header row naming the columns person and photo"
        )
    person_at, photo_at = header.index("person"), header.index("photo")
    outer = listing[: -len(PEOPLE_CSV)]
    entries = {entry.member: entry for entry in archive.entries}
    items, named = [], {listing}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        person = row[person_at].strip() if person_at < len(row) else ""
        photo = row[photo_at].strip().replace("\\", "/") if photo_at < len(row) else ""
        where = f"{listing} line {line}"
        while photo.startswith("./"):
            photo = photo[2:]
        member = outer + photo
        if member not in entries and photo in entries:
            member = photo  # a path written from the top, through the zipped folder
        if photo and member in entries:
            named.add(member)
        if not photo:
            items.append(ImportItem(person, where, f"{where}: no photo; expected person,photo"))
        elif not person:
            items.append(ImportItem("", member, f"{where}: no person for {photo}"))
        elif member in entries:
            items.append(ImportItem(person, member, entries[member].reason))
        else:
            items.append(
                ImportItem(
                    person,
                    member,
                    f"{where}: {photo} is not in the archive; expected the path of one of its "
                    "members, such as 'photos/jane-doe-1.jpg'",
                )
            )
    for entry in archive.entries:
        if entry.member in named:
            continue
        reason = entry.reason or (
            f"{entry.member}: not named in {listing}; expected a row "
            f"'person,{entry.member[len(outer) :]}' for it"
        )
        items.append(ImportItem("", entry.member, reason))
    return items
