"""Command-line interface. Every command goes through `Services`, as the API will."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from citywatch.cli import people
from citywatch.cli.accounts import login, logout, user, whoami
from citywatch.cli.alerts import alert
from citywatch.cli.cameras import camera, run
from citywatch.cli.cases import case
from citywatch.cli.output import console, emit_json, errors
from citywatch.cli.oversight import audit, report, retention
from citywatch.cli.serve import serve
from citywatch.cli.settings import config_group
from citywatch.cli.shared import alert_event, handle_errors, services
from citywatch.config import load_settings
from citywatch.embed import EMBEDDERS
from citywatch.services import ScanSource, build_services
from citywatch.types import WATCHLIST_PRIORITIES, Alert, ScanProgress, ScanSummary, Watchlist


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="CITYWATCH_HOME",
    help="Data folder (database, media, config.toml). Default: ./citywatch-data.",
)
@click.option("--embedder", type=click.Choice(list(EMBEDDERS)), help="Embedder profile.")
@click.version_option(package_name="citywatch")
@click.pass_context
@handle_errors
def cli(context: click.Context, home: Path | None, embedder: str | None) -> None:
    """citywatch: find people on authorised watchlists in video."""
    settings = load_settings(home, embedder=embedder)
    context.obj = {"services": build_services(settings)}
    context.call_on_close(context.obj["services"].close)


# -- watchlists ------------------------------------------------------------------------------
@cli.group()
def watchlist() -> None:
    """Create and list watchlists."""


def _watchlist_row(item: Watchlist) -> dict[str, Any]:
    return {
        "name": item.name,
        "min_similarity": item.min_similarity,
        "people": item.people,
        "photos": item.photos,
        "created_at": item.created_at,
        "case": item.case_reference,
        "colour": item.colour,
        "priority": item.priority,
    }


@watchlist.command("create")
@click.argument("name")
@click.option("--case", "case_reference", help="The active case the list belongs to (required).")
@click.option("--min-similarity", type=float, help="Cosine threshold (default: calibrated).")
@click.option("--colour", help="#rrggbb marking its alerts (default: by the case's category).")
@click.option(
    "--priority",
    type=click.Choice(WATCHLIST_PRIORITIES),
    default="normal",
    show_default=True,
    help="How urgent its alerts are.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def watchlist_create(
    context: click.Context,
    name: str,
    case_reference: str | None,
    min_similarity: float | None,
    colour: str | None,
    priority: str,
    as_json: bool,
) -> None:
    """Create watchlist NAME in an active case of yours."""
    created = services(context).create_watchlist(
        name, min_similarity, case_reference, colour, priority
    )
    if as_json:
        emit_json(_watchlist_row(created))
    else:
        console.print(
            f"created watchlist [bold]{escape(created.name)}[/] (min similarity "
            f"{created.min_similarity or 0:.3f})"
        )


watchlist.add_command(people.watchlist_people)
watchlist.add_command(people.watchlist_import)


@watchlist.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def watchlist_list(context: click.Context, as_json: bool) -> None:
    """List watchlists with their thresholds and sizes."""
    items = services(context).watchlists()
    if as_json:
        emit_json({"data": [_watchlist_row(w) for w in items], "count": len(items)})
        return
    table = Table(
        "watchlist", "case", "priority", "min similarity", "people", "photos", "created (UTC)"
    )
    for w in items:
        table.add_row(
            f"[{w.colour}]■[/] {escape(w.name)}",
            escape(w.case_reference or "-"),
            w.priority,
            f"{w.min_similarity or 0:.3f}",
            str(w.people),
            str(w.photos),
            f"{w.created_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)


# -- enrolment -------------------------------------------------------------------------------
@cli.command()
@click.option("--watchlist", "watchlist_name", required=True, help="Watchlist to enrol into.")
@click.option("--person", required=True, help="The person's full name.")
@click.option("--largest", is_flag=True, help="Take the largest face of a photo with several.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per photo).")
@click.argument("photos", nargs=-1, type=click.Path(path_type=Path))
@click.pass_context
@handle_errors
def enroll(
    context: click.Context,
    watchlist_name: str,
    person: str,
    largest: bool,
    as_json: bool,
    photos: tuple[Path, ...],
) -> None:
    """Enrol PHOTOS of a person; each photo is accepted or rejected with a reason."""
    results = services(context).enroll(watchlist_name, person, list(photos), largest)
    enrolled = sum(r.status == "enrolled" for r in results)
    people.photo_results(results, as_json, with_person=False)
    if as_json:
        emit_json(
            {
                "event": "summary",
                "person": person,
                "watchlist": watchlist_name,
                "enrolled": enrolled,
                "rejected": len(results) - enrolled,
            }
        )
    else:
        console.print(
            f"{escape(person)}: {enrolled} of {len(results)} photos enrolled on "
            f"{escape(watchlist_name)}"
        )
    if enrolled == 0:
        sys.exit(2)


@cli.command()
@click.argument("image_a", type=click.Path(path_type=Path))
@click.argument("image_b", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def compare(context: click.Context, image_a: Path, image_b: Path, as_json: bool) -> None:
    """Compare the main face of two photos."""
    result = services(context).compare(image_a, image_b)
    if as_json:
        emit_json(
            {
                "image_a": image_a,
                "image_b": image_b,
                "similarity": result.similarity,
                "same": result.same,
                "min_similarity": result.min_similarity,
                "embedder": result.embedder,
            }
        )
    else:
        verdict = "[green]same person[/]" if result.same else "[red]different people[/]"
        console.print(
            f"similarity {result.similarity:.3f} -> {verdict} "
            f"(threshold {result.min_similarity:.3f}, {result.embedder})"
        )


# -- scanning --------------------------------------------------------------------------------
@cli.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@click.option("--case", "case_reference", help="The active case searched for (required).")
@click.option("--camera", help="Camera id (default: the file name); only with one source.")
@click.option("--fps", type=float, help="Frames analysed per second (default: every frame).")
@click.option(
    "--json", "as_json", is_flag=True, help="JSON lines: alerts as they happen, then a summary."
)
@click.pass_context
@handle_errors
def scan(
    context: click.Context,
    sources: tuple[Path, ...],
    case_reference: str | None,
    camera: str | None,
    fps: float | None,
    as_json: bool,
) -> None:
    """Search video files or images for the people on one case's watchlists."""
    if not sources:
        raise click.UsageError("no SOURCE given; expected one or more video or image files")
    if camera and len(sources) > 1:
        raise click.UsageError("--camera names one camera; give one SOURCE with it")
    built = services(context)
    if fps is not None:
        actor = built.actor
        built = build_services(built.settings.with_options(scan_fps=fps))
        built.actor = actor
        context.call_on_close(built.close)
    items = [ScanSource(path, camera or path.name) for path in sources]
    alerts: list[Alert] = []
    summary: ScanSummary | None = None
    if as_json:
        for event in built.scan(items, case_reference):
            if isinstance(event, Alert):
                emit_json(alert_event(event))
            elif isinstance(event, ScanSummary):
                summary = event
        assert summary is not None
        emit_json({"event": "summary", **_summary_fields(summary)})
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn(
            "{task.percentage:>3.0f}%  {task.fields[frames]} frames  {task.fields[alerts]} alerts"
        ),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as progress:
        tasks: dict[str, Any] = {}
        for event in built.scan(items, case_reference):
            if isinstance(event, ScanProgress):
                if event.camera_id not in tasks:
                    tasks[event.camera_id] = progress.add_task(
                        event.camera_id, total=event.duration_s or None, frames=0, alerts=0
                    )
                progress.update(
                    tasks[event.camera_id],
                    completed=event.position_s,
                    frames=event.frames,
                    alerts=len(alerts),
                )
            elif isinstance(event, Alert):
                alerts.append(event)
            else:
                summary = event
    assert summary is not None
    _print_scan_table(alerts, summary)


def _summary_fields(summary: ScanSummary) -> dict[str, Any]:
    return {
        "frames": summary.frames,
        "faces": summary.faces,
        "tracks": summary.tracks,
        "sightings": summary.sightings,
        "alerts": summary.alerts,
        "seconds": summary.seconds,
    }


def _print_scan_table(alerts: list[Alert], summary: ScanSummary) -> None:
    if alerts:
        table = Table(
            "alert", "person", "watchlist", "similarity", "camera", "seen (s)", "evidence"
        )
        for a in alerts:
            table.add_row(
                str(a.id),
                escape(a.person_name),
                escape(a.watchlist),
                f"{a.similarity:.3f}",
                escape(a.camera_id),
                f"{a.first_seen_s:.1f}-{a.last_seen_s:.1f}",
                escape(str(a.crop_path)),
            )
        console.print(table)
    else:
        console.print("no alerts")
    console.print(
        f"{summary.frames} frames, {summary.faces} faces, {summary.tracks} tracks, "
        f"{summary.sightings} sightings, {summary.alerts} alerts in {summary.seconds:.1f} s "
        f"({summary.frames / max(summary.seconds, 1e-9):.1f} frames/s); "
        "unmatched faces were not kept"
    )


for command in (
    camera,
    run,
    user,
    login,
    logout,
    whoami,
    case,
    alert,
    audit,
    report,
    retention,
    config_group,
    serve,
):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="citywatch")
