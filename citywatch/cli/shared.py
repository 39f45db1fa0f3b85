"""Pieces every CLI module shares: error handling, the services of the current invocation, and
the JSON shape of an alert (the same for `scan` and `run`)."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.markup import escape

from citywatch.cli.output import errors
from citywatch.errors import CitywatchError
from citywatch.services import Services
from citywatch.types import Alert

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(command: F) -> F:
    """Turn our errors into one clear line on stderr and a non-zero exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except CitywatchError as error:
            # Messages name user input (file names, list names): escape it, or rich would read
            # "clip[draft].mp4" as markup, print the wrong name, or crash on "[/]".
            errors.print(f"[bold red]error:[/] {escape(str(error))}", markup=True, soft_wrap=True)
            sys.exit(error.exit_code)
        except Warning as warning:
            # Only raised when Python runs with warnings as errors (-W error, PYTHONWARNINGS):
            # still one clear line, not a traceback (e.g. the ArcFace licence warning).
            errors.print(
                f"[bold red]error:[/] {escape(str(warning))} ({type(warning).__name__}, raised "
                "as an error by the Python warnings filter)",
                markup=True,
                soft_wrap=True,
            )
            sys.exit(1)
        except KeyboardInterrupt:
            errors.print("interrupted")
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def services(context: click.Context) -> Services:
    """The services, acting as the CLI's user: `CITYWATCH_USER` with `CITYWATCH_PASSWORD` (for
    scripts; every failure is audited), else the session saved by `citywatch login`. Without
    either, the command fails with a message saying how to log in."""
    built = plain_services(context)
    if built.actor is None:
        name = os.environ.get("CITYWATCH_USER")
        if name:
            built.authenticate(name, os.environ.get("CITYWATCH_PASSWORD", ""))
        else:
            token = read_session(built.settings.home)
            if token:
                built.resume_session(token)
    return built


def plain_services(context: click.Context) -> Services:
    """The services without a user (bootstrap and login)."""
    built: Services = context.obj["services"]
    return built


def session_file(home: Path) -> Path:
    """Where `citywatch login` keeps this OS user's session token (mode 0600)."""
    return home / "sessions" / f"{os.getuid()}.token"


def save_session(home: Path, token: str) -> Path:
    path = session_file(home)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(token)
    return path


def read_session(home: Path) -> str:
    try:
        return session_file(home).read_text().strip()
    except OSError:
        return ""


def read_password(prompt: str, from_stdin: bool, confirm: bool = False) -> str:
    """A password from stdin (`--password-stdin`, for scripts) or typed without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=confirm))


def alert_event(alert: Alert) -> dict[str, Any]:
    return {
        "event": "alert",
        "id": alert.id,
        "person": alert.person_name,
        "watchlist": alert.watchlist,
        "similarity": alert.similarity,
        "camera": alert.camera_id,
        "first_seen_s": alert.first_seen_s,
        "last_seen_s": alert.last_seen_s,
        "crop": alert.crop_path,
        "photo": alert.photo_path,
        "status": alert.status,
        "first_seen_at": alert.first_seen_at,
        "last_seen_at": alert.last_seen_at,
        "case": alert.case_reference,
        "confirmations": alert.confirmations,
    }
