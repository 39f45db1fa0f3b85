"""`citywatch camera ...` and `citywatch run`: the live side of the CLI."""

from __future__ import annotations

import signal
import time
from dataclasses import asdict
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from citywatch.cli.output import console, emit_json, errors
from citywatch.cli.shared import alert_event, handle_errors, services
from citywatch.ingest.urls import redact_url
from citywatch.runtime.supervisor import Supervisor
from citywatch.types import Alert, Camera, CameraHealth, StreamProbe


def _probe_fields(probe: StreamProbe | None) -> dict[str, Any] | None:
    if probe is None:
        return None
    return {
        "width": probe.width_px,
        "height": probe.height_px,
        "fps": probe.fps,
        "codec": probe.codec,
        "frames": probe.frames,
        "seconds": probe.seconds,
    }


def _health_fields(health: CameraHealth | None) -> dict[str, Any] | None:
    if health is None:
        return None
    return {
        "state": health.state,
        "since": health.since,
        "last_frame_at": health.last_frame_at,
        "last_error": health.last_error,
        "restarts": health.restarts,
        "updated_at": health.updated_at,
    }


def camera_fields(camera: Camera) -> dict[str, Any]:
    return {
        "id": camera.id,
        "name": camera.name,
        "url": redact_url(camera.url),
        "credentials": "stored encrypted" if camera.has_credentials else None,
        "lat": camera.lat,
        "lon": camera.lon,
        "group": camera.group,
        "owner": camera.owner,
        "analysis": camera.analysis_enabled,
        "analysis_fps": camera.analysis_fps,
        "min_face_px": camera.min_face_px,
        "priority": camera.priority,
        "probe": _probe_fields(camera.probe),
        "forced": camera.forced,
    }


@click.group()
def camera() -> None:
    """Register, probe, list and remove cameras."""


@camera.command("add")
@click.argument("camera_id")
@click.argument("url")
@click.option("--name", help="Display name (default: the id).")
@click.option("--lat", type=float, help="Latitude, WGS84 degrees.")
@click.option("--lon", type=float, help="Longitude, WGS84 degrees.")
@click.option("--group", default="", help="Group or region.")
@click.option("--owner", default="city", help="'city' or the name of a third party.")
@click.option(
    "--fps",
    "analysis_fps",
    type=float,
    default=5.0,
    show_default=True,
    help="Frames analysed per second.",
)
@click.option("--min-face-px", type=float, default=24.0, show_default=True)
@click.option(
    "--priority",
    type=int,
    default=0,
    show_default=True,
    help="Higher is analysed first when the cap is reached.",
)
@click.option("--disabled", is_flag=True, help="Register without analysing it.")
@click.option(
    "--force", is_flag=True, help="Record it even if the probe or onboarding check fails."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def camera_add(
    context: click.Context,
    camera_id: str,
    url: str,
    name: str | None,
    lat: float | None,
    lon: float | None,
    group: str,
    owner: str,
    analysis_fps: float,
    min_face_px: float,
    priority: int,
    disabled: bool,
    force: bool,
    as_json: bool,
) -> None:
    """Probe URL and register it as camera CAMERA_ID."""
    draft = Camera(
        id=camera_id,
        name=name or camera_id,
        url="",
        lat=lat,
        lon=lon,
        group=group,
        owner=owner,
        analysis_enabled=not disabled,
        analysis_fps=analysis_fps,
        min_face_px=min_face_px,
        priority=priority,
    )
    added = services(context).add_camera(draft, url, force=force)
    for warning in added.warnings:
        errors.print(f"[yellow]warning:[/] {escape(warning)}")
    if as_json:
        emit_json({**camera_fields(added.camera), "warnings": list(added.warnings)})
        return
    probe = added.camera.probe
    measured = (
        f"{probe.width_px}x{probe.height_px} at {probe.fps:.1f} fps ({probe.codec})"
        if probe
        else "not probed"
    )
    console.print(f"added camera [bold]{escape(camera_id)}[/]: {measured}")


@camera.command("probe")
@click.argument("url")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def camera_probe(context: click.Context, url: str, as_json: bool) -> None:
    """Measure what URL delivers (size, frame rate, codec) without registering it."""
    from citywatch.ingest.probe import onboarding_problems

    probe = services(context).probe(url)
    problems = onboarding_problems(probe)
    if as_json:
        emit_json(
            {
                "url": redact_url(url),
                **(_probe_fields(probe) or {}),
                "third_party_ok": not problems,
                "problems": problems,
            }
        )
        return
    console.print(
        f"{escape(redact_url(url))}: {probe.width_px}x{probe.height_px} at {probe.fps:.1f} fps "
        f"({probe.codec}, {probe.frames} frames in {probe.seconds:.1f} s)"
    )
    console.print(
        "third-party onboarding: "
        + ("[green]passes[/]" if not problems else "[red]fails[/]: " + escape("; ".join(problems)))
    )


@camera.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def camera_list(context: click.Context, as_json: bool) -> None:
    """Registered cameras with live health, and which are analysed under the cap."""
    status = services(context).cameras()
    analysed = set(status.analysed)

    def assignment(c: Camera) -> str:
        if not c.analysis_enabled:
            return "off"
        return "analysed" if c.id in analysed else "standby"

    if as_json:
        emit_json(
            {
                "data": [
                    {
                        **camera_fields(c),
                        "assignment": assignment(c),
                        "health": _health_fields(status.health.get(c.id)),
                    }
                    for c in status.cameras
                ],
                "count": len(status.cameras),
                "cap": status.cap,
                "analysed": len(analysed),
            }
        )
        return
    table = Table("id", "name", "owner", "group", "probe", "assignment", "health", "since", "error")
    for c in status.cameras:
        health = status.health.get(c.id)
        probe = c.probe
        table.add_row(
            escape(c.id),
            escape(c.name),
            escape(c.owner),
            escape(c.group),
            f"{probe.width_px}x{probe.height_px}@{probe.fps:.0f}" if probe else "-",
            assignment(c),
            health.state if health else "never run",
            f"{health.since:%H:%M:%S}" if health else "",
            escape(health.last_error) if health else "",
        )
    console.print(table)
    console.print(
        f"{len(status.cameras)} cameras; analysing {len(analysed)} (cap {status.cap}, "
        "highest priority first)"
    )


@camera.command("remove")
@click.argument("camera_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def camera_remove(context: click.Context, camera_id: str, as_json: bool) -> None:
    """Remove camera CAMERA_ID from the registry."""
    removed = services(context).remove_camera(camera_id)
    if as_json:
        emit_json({"removed": camera_fields(removed)})
    else:
        console.print(f"removed camera {escape(removed.id)}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="JSON lines: alerts and health changes.")
@click.option(
    "--duration", type=float, help="Stop after this many seconds (default: run until stopped)."
)
@click.pass_context
@handle_errors
def run(context: click.Context, as_json: bool, duration: float | None) -> None:
    """Analyse every enabled camera until Ctrl-C or SIGTERM, printing alerts as they happen."""
    built = services(context)
    built.start_runtime()
    stopping = {"flag": False}

    def request_stop(*_: object) -> None:
        stopping["flag"] = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    def on_alert(alert: Alert) -> None:
        if as_json:
            emit_json(alert_event(alert))
        else:
            seen = alert.first_seen_at or alert.created_at
            console.print(
                f"[bold red]ALERT[/] {seen:%Y-%m-%d %H:%M:%S} UTC  {escape(alert.person_name)} "
                f"({escape(alert.watchlist)})  similarity {alert.similarity:.3f}  camera "
                f"{escape(alert.camera_id)}  evidence {escape(str(alert.crop_path))}  "
                "[yellow]unverified: do not act alone[/]"
            )

    def on_health(health: CameraHealth) -> None:
        if as_json:
            emit_json(
                {
                    "event": "health",
                    "camera": health.camera_id,
                    "state": health.state,
                    "since": health.since,
                    "error": health.last_error,
                    "restarts": health.restarts,
                }
            )

    supervisor = Supervisor(built, on_alert, on_health)
    analysed, standby = supervisor.start()
    if not analysed and not standby:
        errors.print("no cameras registered; add one with 'citywatch camera add ID URL'")
    else:
        errors.print(
            f"analysing {len(analysed)} camera(s): {', '.join(c.id for c in analysed) or '-'}; "
            f"standby {len(standby)} (cap {built.settings.max_analysed_cameras})"
        )
    started = time.monotonic()

    def until() -> bool:
        return stopping["flag"] or (duration is not None and time.monotonic() - started >= duration)

    supervisor.run(until)
    summary = {
        "event": "summary",
        "cameras": len(analysed),
        "sightings": supervisor.sightings,
        "alerts": supervisor.alerts,
        "seconds": time.monotonic() - started,
        "per_camera": {
            camera_id: {**asdict(counts), "restarts": supervisor.workers[camera_id].restarts}
            for camera_id, counts in supervisor.counters().items()
        },
    }
    if as_json:
        emit_json(summary)
    else:
        errors.print(
            f"stopped: {supervisor.sightings} sightings, {supervisor.alerts} alerts in "
            f"{summary['seconds']:.0f} s"
        )
