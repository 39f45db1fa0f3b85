"""`citywatch alert ...`: alerts and their two-person review."""

from __future__ import annotations

import click
from rich.markup import escape
from rich.table import Table

from citywatch.alerts.review import status_label
from citywatch.cli.output import console, emit_json
from citywatch.cli.shared import alert_event, handle_errors, services
from citywatch.types import ALERT_STATUSES

JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group()
def alert() -> None:
    """Alerts: unverified until two reviewers confirm them."""


@alert.command("list")
@click.option("--status", type=click.Choice(ALERT_STATUSES), help="Only alerts in this status.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@JSON
@click.pass_context
@handle_errors
def alert_list(context: click.Context, status: str | None, limit: int, as_json: bool) -> None:
    """List alerts of the cases you may see, newest first (the view is audited)."""
    alerts = services(context).alerts(status, limit)
    if as_json:
        emit_json(
            {
                "data": [
                    {**alert_event(a), "label": status_label(a.status, a.confirmations)}
                    for a in alerts
                ],
                "count": len(alerts),
            }
        )
        return
    table = Table("alert", "person", "watchlist", "case", "similarity", "camera", "status")
    for a in alerts:
        style = {"confirmed": "green", "rejected": "dim"}.get(a.status, "yellow")
        table.add_row(
            str(a.id),
            escape(a.person_name),
            escape(a.watchlist),
            escape(a.case_reference),
            f"{a.similarity:.3f}",
            escape(a.camera_id),
            f"[{style}]{escape(status_label(a.status, a.confirmations))}[/]",
        )
    console.print(table)


@alert.command("show")
@click.argument("alert_id", type=int)
@JSON
@click.pass_context
@handle_errors
def alert_show(context: click.Context, alert_id: int, as_json: bool) -> None:
    """Show alert ALERT_ID with its evidence and reviews."""
    shown, reviews = services(context).alert(alert_id)
    label = status_label(shown.status, shown.confirmations)
    if as_json:
        emit_json(
            {
                **alert_event(shown),
                "label": label,
                "reviews": [
                    {"reviewer": r.reviewer, "decision": r.decision, "note": r.note, "at": r.at}
                    for r in reviews
                ],
            }
        )
        return
    console.print(
        f"alert {shown.id}: [bold]{escape(shown.person_name)}[/] on {escape(shown.watchlist)} "
        f"(case {escape(shown.case_reference)}), similarity {shown.similarity:.3f}, camera "
        f"{escape(shown.camera_id)}\n  [yellow]{escape(label)}[/]\n  evidence: "
        f"{escape(str(shown.crop_path))}\n  enrolled photo: {escape(str(shown.photo_path))}"
    )
    for r in reviews:
        console.print(
            f"  {r.at:%Y-%m-%d %H:%M} {escape(r.reviewer)}: {r.decision} {escape(r.note)}"
        )


@alert.command("review")
@click.argument("alert_id", type=int)
@click.option("--confirm", "decision", flag_value="confirm", help="It is the person.")
@click.option("--reject", "decision", flag_value="reject", help="It is not (give --note).")
@click.option("--note", default="", help="Your reason (required with --reject).")
@click.option(
    "--not-this-person",
    is_flag=True,
    help="With --reject: remember this face so the same false match is suppressed later.",
)
@JSON
@click.pass_context
@handle_errors
def alert_review(
    context: click.Context,
    alert_id: int,
    decision: str | None,
    note: str,
    not_this_person: bool,
    as_json: bool,
) -> None:
    """Confirm or reject alert ALERT_ID (reviewers; two must confirm)."""
    if decision is None:
        raise click.UsageError("give --confirm or --reject")
    reviewed = services(context).review(alert_id, decision, note, not_this_person)
    label = status_label(reviewed.status, reviewed.confirmations)
    if as_json:
        emit_json({**alert_event(reviewed), "label": label})
    else:
        console.print(f"alert {alert_id}: {escape(label)}")
