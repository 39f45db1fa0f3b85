"""`citywatch serve`: the REST API and the webhook sender (the web UI and the camera runtime
join them next)."""

from __future__ import annotations

import click

from citywatch.cli.output import errors
from citywatch.cli.shared import handle_errors, plain_services


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.pass_context
@handle_errors
def serve(context: click.Context, host: str, port: int) -> None:
    """Serve the REST API (OpenAPI at /api/openapi.json) until Ctrl-C or SIGTERM."""
    import uvicorn

    from citywatch.alerts.delivery import WebhookSender
    from citywatch.api import create_app
    from citywatch.storage import open_store

    settings = plain_services(context).settings
    sender = WebhookSender(open_store(settings.home))  # its own connection, its own thread
    sender.start()
    errors.print(f"citywatch API on http://{host}:{port}/api/docs (home {settings.home})")
    try:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
    finally:
        sender.stop()
        sender.store.close()
