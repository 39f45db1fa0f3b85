"""`citywatch serve`: the web UI and REST API, the camera runtime and the webhook sender in one
process, started together and stopped together (Ctrl-C or SIGTERM)."""

from __future__ import annotations

import errno
import signal
import socket

import click
from rich.markup import escape

from citywatch.cli.output import errors
from citywatch.cli.shared import handle_errors, plain_services, services
from citywatch.errors import AuthenticationError, InputError
from citywatch.types import Alert

GRACEFUL_SHUTDOWN_S = 5
"""How long open requests (an alert stream never ends by itself) get to finish on shutdown."""


def listening_socket(host: str, port: int) -> socket.socket:
    """Bind before anything starts, so a busy port is one clear error, not a half-started server."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        reason = (
            "the port is in use (is another citywatch serving?)"
            if error.errno == errno.EADDRINUSE
            else error.strerror
        )
        raise InputError(
            f"cannot listen on {host}:{port}: {reason}; choose another with --host/--port"
        ) from None
    return sock


def announce(alert: Alert) -> None:
    seen = alert.first_seen_at or alert.created_at
    errors.print(
        f"[bold red]ALERT[/] {seen:%Y-%m-%d %H:%M:%S} UTC  {escape(alert.person_name)} "
        f"({escape(alert.watchlist)}) camera {escape(alert.camera_id)}: unverified",
        markup=True,
    )


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option(
    "--cameras/--no-cameras",
    default=True,
    show_default=True,
    help="Also analyse the registered cameras. Running them is an admin's audited act: log in "
    "first ('citywatch login') or set CITYWATCH_USER and CITYWATCH_PASSWORD.",
)
@click.pass_context
@handle_errors
def serve(context: click.Context, host: str, port: int, cameras: bool) -> None:
    """Serve the web UI (/), the REST API (/api, OpenAPI at /api/openapi.json) and, unless
    --no-cameras, analyse the registered cameras, until Ctrl-C or SIGTERM."""
    import uvicorn

    from citywatch.alerts.delivery import WebhookSender
    from citywatch.api import create_app
    from citywatch.runtime.background import BackgroundRuntime
    from citywatch.services import build_services
    from citywatch.storage import open_store

    settings = plain_services(context).settings
    runtime = None
    if cameras:
        acting = services(context)
        try:
            acting.start_runtime()  # may this user run the cameras? recorded in the audit log
        except AuthenticationError as error:
            raise AuthenticationError(
                f"{error}; analysing cameras needs an admin's login (or serve with --no-cameras)"
            ) from None
        runtime = BackgroundRuntime(lambda: build_services(settings), on_alert=announce)
    sock = listening_socket(host, port)
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level="warning",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        )
    )
    sender = WebhookSender(open_store(settings.home))  # its own connection, its own thread
    sender.start()
    try:
        if runtime is not None:
            analysed, standby = runtime.start()
            errors.print(
                f"analysing {len(analysed)} camera(s): "
                f"{', '.join(c.id for c in analysed) or '-'}; standby {len(standby)} "
                f"(cap {settings.max_analysed_cameras}); cameras added later start within "
                "seconds"
            )
        shown = "localhost" if host in ("127.0.0.1", "::1") else host
        errors.print(
            f"citywatch on http://{shown}:{port}/ (API docs /api/docs; home {settings.home})"
        )
        # uvicorn handles Ctrl-C and SIGTERM while it serves, then raises them again for the
        # handlers it found: these, so that the cameras and the sender are stopped below and
        # the exit is clean (Python's default SIGTERM would end the process right there).
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stop_signal, lambda *_: None)
        server.run(sockets=[sock])
    finally:
        errors.print("stopping: cameras hand over their open tracks ...")
        if runtime is not None:
            runtime.stop()
        sender.stop()
        sender.store.close()
        sock.close()
        errors.print("stopped")
