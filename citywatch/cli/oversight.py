"""`citywatch audit ...`, `report transparency`, `retention run`: oversight and deletion."""

from __future__ import annotations

import sys
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from citywatch.audit.checkpoints import checkpoint_to_json, write_checkpoint_file
from citywatch.cli.cases import parse_time
from citywatch.cli.output import console, emit_json
from citywatch.cli.shared import handle_errors, services

JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group()
def audit() -> None:
    """The tamper-evident audit log (auditors)."""


@audit.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A checkpoint exported earlier and kept elsewhere.",
)
@JSON
@click.pass_context
@handle_errors
def audit_verify(context: click.Context, checkpoint_file: Path | None, as_json: bool) -> None:
    """Verify the hash chain and the signed checkpoints; exit 1 if anything was tampered with."""
    report = services(context).verify_audit(checkpoint_file)
    if as_json:
        emit_json(asdict(report))
    elif report.ok:
        console.print(
            f"[green]audit log intact[/]: {report.records} records, head {report.head_sequence} "
            f"{report.head_hash[:16]}..., {report.checkpoints} signed checkpoint(s) verified"
        )
    else:
        console.print(
            f"[bold red]audit log TAMPERED[/] at record {report.first_bad_sequence}: "
            f"{escape(report.problem)}"
        )
    if not report.ok:
        sys.exit(1)


@audit.command("export")
@click.option("--after", type=int, default=0, help="Only records after this sequence number.")
@JSON
@click.pass_context
@handle_errors
def audit_export(context: click.Context, after: int, as_json: bool) -> None:
    """Print the audit log (JSON lines with --json, one record per line)."""
    events = services(context).export_audit(after)
    if as_json:
        for event in events:
            emit_json(asdict(event))
        return
    table = Table("seq", "time (UTC)", "actor", "action", "object", "case", "details")
    for e in events:
        table.add_row(
            str(e.sequence),
            f"{e.at:%Y-%m-%d %H:%M:%S}",
            escape(e.actor),
            e.action,
            escape(e.object),
            str(e.case_id or ""),
            escape(", ".join(f"{k}={v}" for k, v in e.details.items())),
        )
    console.print(table)


@audit.command("checkpoint")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the checkpoint to this file, to keep it elsewhere.",
)
@JSON
@click.pass_context
@handle_errors
def audit_checkpoint(context: click.Context, out: Path | None, as_json: bool) -> None:
    """Sign the log's current head (Ed25519, key outside the database) and store it."""
    checkpoint = services(context).checkpoint_audit()
    if out is not None:
        write_checkpoint_file(out, checkpoint)
    if as_json:
        emit_json(checkpoint_to_json(checkpoint))
    else:
        console.print(
            f"signed checkpoint at record {checkpoint.sequence} ({checkpoint.head_hash[:16]}...)"
            + (f", written to {escape(str(out))}" if out else "")
        )


@click.group()
def report() -> None:
    """Reports without personal data."""


@report.command("transparency")
@click.option("--from", "starts", required=True, help="Start (ISO date, UTC), included.")
@click.option("--to", "ends", required=True, help="End (ISO date, UTC), excluded.")
@JSON
@click.pass_context
@handle_errors
def report_transparency(context: click.Context, starts: str, ends: str, as_json: bool) -> None:
    """Counts of cases, watchlists, alerts, reviews and searches in a period."""
    starts_at, ends_at = parse_time(starts, "--from"), parse_time(ends, "--to")
    assert starts_at is not None and ends_at is not None
    if len(ends) == 10:  # a date: the whole day is included
        ends_at += timedelta(days=1)
    result = services(context).transparency(starts_at, ends_at)
    if as_json:
        emit_json(asdict(result))
        return
    table = Table("measure", "count", title=f"{starts_at:%Y-%m-%d} to {ends_at:%Y-%m-%d} (UTC)")
    for key, value in asdict(result).items():
        if isinstance(value, dict):
            for sub, count in sorted(value.items()):
                table.add_row(f"{key.replace('_', ' ')}: {sub}", str(count))
        elif not isinstance(value, datetime):
            table.add_row(key.replace("_", " "), str(value))
    console.print(table)


@click.group()
def retention() -> None:
    """Deletion of what is past its retention (admins)."""


@retention.command("run")
@JSON
@click.pass_context
@handle_errors
def retention_run(context: click.Context, as_json: bool) -> None:
    """Delete alerts and evidence past their case's retention; the counts are audited."""
    result = services(context).run_retention()
    if as_json:
        emit_json({**asdict(result), "at": datetime.now(UTC)})
    else:
        console.print(
            f"deleted {result.alerts} alert(s) with their evidence, {result.people} people with "
            f"{result.photos} photo(s), {result.sessions} expired session(s)"
        )
