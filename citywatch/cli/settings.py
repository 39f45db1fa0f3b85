"""`citywatch config ...`: settings as admins see and change them (every change audited)."""

from __future__ import annotations

from dataclasses import asdict

import click
from rich.markup import escape
from rich.table import Table

from citywatch.cli.output import console, emit_json
from citywatch.cli.shared import handle_errors, services

JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group("config")
def config_group() -> None:
    """Settings (admins): defaults, then <home>/config.toml, then CITYWATCH_* variables."""


@config_group.command("show")
@JSON
@click.pass_context
@handle_errors
def config_show(context: click.Context, as_json: bool) -> None:
    """Show the effective settings."""
    values = asdict(services(context).effective_settings())
    if as_json:
        emit_json(values)
        return
    table = Table("setting", "value")
    for key, value in values.items():
        table.add_row(key, escape(str(value)))
    console.print(table)


@config_group.command("set")
@click.argument("key")
@click.argument("value")
@JSON
@click.pass_context
@handle_errors
def config_set(context: click.Context, key: str, value: str, as_json: bool) -> None:
    """Set KEY to VALUE in <home>/config.toml (validated, audited)."""
    old, new = services(context).change_setting(key, value)
    if as_json:
        emit_json({"setting": key, "old": old, "new": new})
    else:
        console.print(f"{escape(key)}: {escape(str(old))} -> {escape(str(new))}")
