"""`citywatch watchlist people` and `citywatch watchlist import`: who is on a list, and bulk
enrolment from a ZIP archive (a folder per person, or people.csv), as a city imports its portal's
photos. The same services as the API's upload routes: same checks, same audit records."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from citywatch.cli.output import console, emit_json, errors
from citywatch.cli.shared import handle_errors, services
from citywatch.errors import InputError
from citywatch.ingest.uploads import MAX_ARCHIVE_BYTES, MIB
from citywatch.types import PhotoEnrollment


def photo_results(results: Sequence[PhotoEnrollment], as_json: bool, with_person: bool) -> None:
    """One JSON line (`"event": "photo"`) or table row per photo: enrolled with its face size and
    quality, or rejected with the reason; `with_person` adds who it was for (imports)."""
    if as_json:
        for r in results:
            emit_json(
                {
                    "event": "photo",
                    **({"person": r.person} if with_person else {}),
                    "photo": r.source,
                    "status": r.status,
                    "reason": r.reason,
                    "photo_id": r.photo_id,
                    "face_px": r.face_px,
                    "quality": r.quality,
                }
            )
        return
    columns = ["photo", "status", "face px", "quality", "reason"]
    table = Table(*(["person", *columns] if with_person else columns))
    for r in results:
        style = "green" if r.status == "enrolled" else "red"
        table.add_row(
            *([escape(r.person)] if with_person else []),
            escape(r.source),
            f"[{style}]{r.status}[/]",
            f"{r.face_px:.0f}" if r.face_px else "",
            f"{r.quality:.2f}" if r.quality else "",
            escape(r.reason),
        )
    console.print(table)


@click.command("people")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def watchlist_people(context: click.Context, name: str, as_json: bool) -> None:
    """List the people on watchlist NAME with their photos (an audited view)."""
    people = services(context).people(name)
    if as_json:
        rows = [
            {
                "person": p.name,
                "photos": p.photos,
                "photo_ids": list(p.photo_ids),
                "enrolled_at": p.enrolled_at,
            }
            for p in people
        ]
        emit_json({"watchlist": name, "data": rows, "count": len(rows)})
        return
    table = Table("person", "photos", "photo ids", "first enrolled (UTC)")
    for p in people:
        table.add_row(
            escape(p.name),
            str(p.photos),
            ", ".join(map(str, p.photo_ids)),
            f"{p.enrolled_at:%Y-%m-%d %H:%M}" if p.enrolled_at else "",
        )
    console.print(table)
    console.print(f"{len(people)} people on {escape(name)}")


@click.command("import")
@click.argument("name")
@click.argument("archive", type=click.Path(path_type=Path))
@click.option("--largest", is_flag=True, help="Take the largest face of a photo with several.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines: a photo each, a summary.")
@click.pass_context
@handle_errors
def watchlist_import(
    context: click.Context, name: str, archive: Path, largest: bool, as_json: bool
) -> None:
    """Enrol the people and photos of ARCHIVE (a ZIP: 'Person Name/photo.jpg', or people.csv
    with columns person,photo) onto watchlist NAME; one result per photo."""
    try:
        size = archive.stat().st_size
    except OSError as error:
        raise InputError(f"{archive}: cannot be read ({error.strerror}); expected a ZIP") from None
    if size > MAX_ARCHIVE_BYTES:
        raise InputError(
            f"{archive}: {size / MIB:.0f} MiB is too large; expected a ZIP archive of at most "
            f"{MAX_ARCHIVE_BYTES // MIB} MiB (split it into several)"
        )
    data = archive.read_bytes()
    built = services(context)
    with Progress(
        TextColumn("importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
        disable=as_json or not errors.is_terminal,
    ) as bar:
        task = bar.add_task("photos", total=None)
        report = built.import_people(
            name,
            data,
            archive.name,
            largest,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    photo_results(report.results, as_json, with_person=True)
    if as_json:
        emit_json(
            {
                "event": "summary",
                "watchlist": name,
                "archive": archive.name,
                "layout": report.layout,
                "people": report.people,
                "enrolled": report.enrolled,
                "rejected": report.rejected,
            }
        )
    else:
        console.print(
            f"{report.enrolled} of {len(report.results)} photos enrolled for {report.people} "
            f"people on {escape(name)} ({report.layout})"
        )
    if report.enrolled == 0:
        sys.exit(2)
