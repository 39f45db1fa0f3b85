"""`citywatch user ...`, `login`, `logout`, `whoami`: who the CLI acts as."""

from __future__ import annotations

from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from citywatch.cli.output import console, emit_json
from citywatch.cli.shared import (
    handle_errors,
    plain_services,
    read_password,
    read_session,
    save_session,
    services,
    session_file,
)
from citywatch.types import ROLES, User

PASSWORD_STDIN = click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def user_row(user: User) -> dict[str, Any]:
    return {
        "name": user.name,
        "roles": sorted(user.roles),
        "disabled": user.disabled,
        "created_at": user.created_at,
    }


@click.group()
def user() -> None:
    """Users and their roles (admins)."""


@user.command("bootstrap")
@click.argument("name")
@PASSWORD_STDIN
@JSON
@click.pass_context
@handle_errors
def user_bootstrap(context: click.Context, name: str, password_stdin: bool, as_json: bool) -> None:
    """Create NAME as the first admin of a new installation."""
    password = read_password(f"password for {name}", password_stdin, confirm=True)
    created = plain_services(context).bootstrap(name, password)
    if as_json:
        emit_json(user_row(created))
    else:
        console.print(f"created the first admin [bold]{escape(created.name)}[/]")


@user.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES))
@PASSWORD_STDIN
@JSON
@click.pass_context
@handle_errors
def user_add(
    context: click.Context, name: str, roles: tuple[str, ...], password_stdin: bool, as_json: bool
) -> None:
    """Add user NAME with one or more --role."""
    built = services(context)
    built.require("user.manage")  # before asking for a password
    password = read_password(f"password for {name}", password_stdin, confirm=True)
    created = built.add_user(name, password, roles)
    if as_json:
        emit_json(user_row(created))
    else:
        console.print(f"added [bold]{escape(name)}[/] ({', '.join(sorted(created.roles))})")


@user.command("list")
@JSON
@click.pass_context
@handle_errors
def user_list(context: click.Context, as_json: bool) -> None:
    """List users and their roles."""
    users = services(context).users()
    if as_json:
        emit_json({"data": [user_row(u) for u in users], "count": len(users)})
        return
    table = Table("user", "roles", "status", "created (UTC)")
    for u in users:
        table.add_row(
            escape(u.name),
            ", ".join(sorted(u.roles)),
            "[red]disabled[/]" if u.disabled else "active",
            f"{u.created_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)


@user.command("roles")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES))
@JSON
@click.pass_context
@handle_errors
def user_roles(context: click.Context, name: str, roles: tuple[str, ...], as_json: bool) -> None:
    """Replace the roles of user NAME."""
    changed = services(context).set_roles(name, roles)
    if as_json:
        emit_json(user_row(changed))
    else:
        console.print(f"{escape(name)}: {', '.join(sorted(changed.roles))}")


@user.command("disable")
@click.argument("name")
@JSON
@click.pass_context
@handle_errors
def user_disable(context: click.Context, name: str, as_json: bool) -> None:
    """Disable user NAME (their sessions end at once)."""
    changed = services(context).disable_user(name)
    if as_json:
        emit_json(user_row(changed))
    else:
        console.print(f"disabled {escape(name)}")


@user.command("enable")
@click.argument("name")
@JSON
@click.pass_context
@handle_errors
def user_enable(context: click.Context, name: str, as_json: bool) -> None:
    """Enable user NAME again."""
    changed = services(context).disable_user(name, disabled=False)
    if as_json:
        emit_json(user_row(changed))
    else:
        console.print(f"enabled {escape(name)}")


@user.command("password")
@PASSWORD_STDIN
@click.pass_context
@handle_errors
def user_password(context: click.Context, password_stdin: bool) -> None:
    """Change your own password (old, then new, on two lines with --password-stdin)."""
    built = services(context)
    old = read_password("current password", password_stdin)
    new = read_password("new password", password_stdin, confirm=not password_stdin)
    built.change_password(old, new)
    console.print("password changed; log in again")


@click.command()
@click.argument("name")
@PASSWORD_STDIN
@JSON
@click.pass_context
@handle_errors
def login(context: click.Context, name: str, password_stdin: bool, as_json: bool) -> None:
    """Log in as NAME; later commands act as NAME until the session ends."""
    built = plain_services(context)
    password = read_password(f"password for {name}", password_stdin)
    logged_in, token = built.start_session(name, password)
    path = save_session(built.settings.home, token)
    hours = built.settings.session_hours
    if as_json:
        emit_json({**user_row(logged_in), "session_hours": hours, "session_file": path})
    else:
        console.print(
            f"logged in as [bold]{escape(name)}[/] ({', '.join(sorted(logged_in.roles))}) for "
            f"{hours:g} h"
        )


@click.command()
@click.pass_context
@handle_errors
def logout(context: click.Context) -> None:
    """End your session."""
    built = plain_services(context)
    token = read_session(built.settings.home)
    if token:
        built.resume_session(token)
        built.end_session(token)
    session_file(built.settings.home).unlink(missing_ok=True)
    console.print("logged out")


@click.command()
@JSON
@click.pass_context
@handle_errors
def whoami(context: click.Context, as_json: bool) -> None:
    """Show who the CLI acts as."""
    me = services(context).user()
    if as_json:
        emit_json(user_row(me))
    else:
        console.print(f"{escape(me.name)} ({', '.join(sorted(me.roles))})")
