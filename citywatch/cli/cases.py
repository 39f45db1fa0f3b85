"""`citywatch case ...`: the authority behind every watchlist and search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from citywatch.cases.scope import describe_scope, parse_area
from citywatch.cli.output import console, emit_json
from citywatch.cli.shared import handle_errors, services
from citywatch.types import CASE_CATEGORIES, Case, CaseScope

JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def parse_time(value: str | None, option: str) -> datetime | None:
    """An ISO date or date-time; naive values are UTC."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date; expected ISO 8601 such as 2026-11-30 or "
            "2026-11-30T18:00 (UTC unless an offset is given)",
            param_hint=option,
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def case_row(case: Case) -> dict[str, Any]:
    now = datetime.now(UTC)
    scope = case.scope
    return {
        "reference": case.reference,
        "category": case.category,
        "status": case.state(now),
        "legal_basis": case.legal_basis,
        "requested_by": case.requested_by,
        "approved_by": case.approved_by,
        "created_at": case.created_at,
        "approved_at": case.approved_at,
        "expires_at": case.expires_at,
        "closed_at": case.closed_at,
        "closed_by": case.closed_by,
        "retention_days": case.retention_days,
        "scope": {
            "camera_ids": sorted(scope.camera_ids),
            "groups": sorted(scope.groups),
            "area": [list(point) for point in scope.area],
            "starts_at": scope.starts_at,
            "ends_at": scope.ends_at,
        },
    }


@click.group()
def case() -> None:
    """Cases: reference, legal basis, scope, approval by a second person, expiry."""


@case.command("create")
@click.argument("reference")
@click.option("--category", required=True, type=click.Choice(CASE_CATEGORIES))
@click.option("--legal-basis", required=True, help="The law, order or warrant relied on.")
@click.option("--camera", "cameras", multiple=True, help="A camera id in scope (repeatable).")
@click.option("--group", "groups", multiple=True, help="A camera group in scope (repeatable).")
@click.option("--area", help="Area polygon in scope: 'lat,lon;lat,lon;lat,lon;...'.")
@click.option("--from", "starts", help="Scope starts (ISO date/time, UTC).")
@click.option("--to", "ends", help="Scope ends (ISO date/time, UTC).")
@click.option("--days", type=float, help="Expires this many days from now.")
@click.option("--expires", help="Expires at (ISO date/time, UTC); instead of --days.")
@click.option("--retention-days", type=int, help="Keep alerts and evidence this long.")
@JSON
@click.pass_context
@handle_errors
def case_create(
    context: click.Context,
    reference: str,
    category: str,
    legal_basis: str,
    cameras: tuple[str, ...],
    groups: tuple[str, ...],
    area: str | None,
    starts: str | None,
    ends: str | None,
    days: float | None,
    expires: str | None,
    retention_days: int | None,
    as_json: bool,
) -> None:
    """Create case REFERENCE (a draft until a supervisor approves it)."""
    if (days is None) == (expires is None):
        raise click.UsageError("give the case's expiry as --days N or --expires DATE (one)")
    expires_at = (
        datetime.now(UTC) + timedelta(days=days)
        if days is not None
        else parse_time(expires, "--expires")
    )
    assert expires_at is not None
    scope = CaseScope(
        camera_ids=frozenset(cameras),
        groups=frozenset(groups),
        area=parse_area(area) if area else (),
        starts_at=parse_time(starts, "--from"),
        ends_at=parse_time(ends, "--to"),
    )
    created = services(context).create_case(
        reference, category, legal_basis, scope, expires_at, retention_days
    )
    if as_json:
        emit_json(case_row(created))
    else:
        console.print(
            f"created case [bold]{escape(created.reference)}[/] (draft): a supervisor must "
            f"approve it with 'citywatch case approve {escape(created.reference)}'"
        )


@case.command("approve")
@click.argument("reference")
@JSON
@click.pass_context
@handle_errors
def case_approve(context: click.Context, reference: str, as_json: bool) -> None:
    """Approve case REFERENCE (supervisors; not the officer who requested it)."""
    approved = services(context).approve_case(reference)
    if as_json:
        emit_json(case_row(approved))
    else:
        console.print(
            f"case [bold]{escape(reference)}[/] is active until "
            f"{approved.expires_at:%Y-%m-%d %H:%M} UTC"
        )


@case.command("close")
@click.argument("reference")
@click.option("--reason", default="", help="Why it is closed.")
@JSON
@click.pass_context
@handle_errors
def case_close(context: click.Context, reference: str, reason: str, as_json: bool) -> None:
    """Close case REFERENCE: its watchlists stop matching at once."""
    closed = services(context).close_case(reference, reason)
    if as_json:
        emit_json(case_row(closed))
    else:
        console.print(f"closed case [bold]{escape(reference)}[/]; its watchlists no longer match")


@case.command("list")
@JSON
@click.pass_context
@handle_errors
def case_list(context: click.Context, as_json: bool) -> None:
    """List the cases you may see."""
    cases = services(context).cases()
    if as_json:
        emit_json({"data": [case_row(c) for c in cases], "count": len(cases)})
        return
    now = datetime.now(UTC)
    table = Table("case", "category", "status", "requested by", "approved by", "expires (UTC)")
    for c in cases:
        table.add_row(
            escape(c.reference),
            c.category,
            c.state(now),
            escape(c.requested_by),
            escape(c.approved_by or "-"),
            f"{c.expires_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)


@case.command("show")
@click.argument("reference")
@JSON
@click.pass_context
@handle_errors
def case_show(context: click.Context, reference: str, as_json: bool) -> None:
    """Show case REFERENCE with its scope."""
    shown = services(context).case(reference)
    if as_json:
        emit_json(case_row(shown))
        return
    row = case_row(shown)
    for key in ("reference", "category", "status", "legal_basis", "requested_by", "approved_by"):
        console.print(f"{key.replace('_', ' '):>14}: {escape(str(row[key] or '-'))}")
    console.print(f"{'scope':>14}: {escape(describe_scope(shown.scope))}")
    console.print(f"{'expires':>14}: {shown.expires_at:%Y-%m-%d %H:%M} UTC")
    console.print(f"{'retention':>14}: {shown.retention_days} days")
