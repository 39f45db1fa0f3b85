"""Settings: defaults, then `<home>/config.toml`, then environment, then command-line options.

Every setting has one name used everywhere (TOML key, `CITYWATCH_<NAME>` variable, CLI option).
A malformed file or value is refused with a message naming the file, key and what was expected.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from citywatch.errors import ConfigError

DEFAULT_HOME = "./citywatch-data"


@dataclass(frozen=True, slots=True)
class Settings:
    home: Path = Path(DEFAULT_HOME)
    embedder: str = "sface"
    flip: bool = True
    detector_max_side_px: int = 1280
    detector_min_score: float = 0.6
    scan_fps: float = 0.0
    """Frames analysed per second of video in `scan`; 0 analyses every frame."""
    min_face_px: float = 24.0
    shots_per_track: int = 3
    max_track_age_s: float = 1.0
    interim_sighting_after_s: float = 4.0
    """Live cameras: a face in view this long is matched then, not only when it leaves (a wanted
    person waiting at a bus stop alerts within seconds); 0 waits for the track to end."""
    live_detector_coarse_side_px: int = 640
    live_detector_full_every: int = 3
    """Live cameras detect at `detector_max_side_px` every Nth analysed frame and at the coarse
    size in between (see detect/cadence.py); 1 = full size on every frame."""
    max_analysed_cameras: int = 8
    """Global cap on cameras analysed at once; the rest stay registered and health-checked."""
    rtsp_transport: str = "tcp"
    open_timeout_s: float = 10.0
    read_timeout_s: float = 5.0
    stall_after_s: float = 3.0
    hung_after_s: float = 30.0
    """A worker whose reading loop made no progress for this long is killed and restarted."""
    health_check_interval_s: float = 30.0
    alert_cooldown_s: float = 30.0
    """Live cameras: a match of the same person on the same camera within this many seconds of
    the last one extends that alert instead of raising another (0 disables)."""
    session_hours: float = 12.0
    """How long a `citywatch login` lasts."""
    max_case_days: int = 90
    """The longest a case may run before it must be renewed (a new, approved case)."""
    retention_days: int = 30
    """Default retention of a case's alerts and evidence; cases may set their own."""

    def with_options(self, **options: Any) -> Settings:
        """A copy with the given options set; `None` values are ignored."""
        return _coerce(self, {k: v for k, v in options.items() if v is not None}, "option")


def _coerce(base: Settings, values: dict[str, Any], origin: str) -> Settings:
    types = {f.name: f.type for f in fields(Settings)}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in types:
            raise ConfigError(
                f"{origin}: unknown setting {key!r}; expected one of {', '.join(types)}"
            )
        kind = base.__getattribute__(key).__class__
        try:
            if not isinstance(value, str) and (
                isinstance(value, bool) is not (kind is bool)
                or (kind is int and not isinstance(value, int))
                or (kind is float and not isinstance(value, int | float))
            ):
                # TOML values arrive typed: refuse `shots_per_track = 2.5` or `scan_fps = true`
                # instead of silently truncating or converting them.
                raise TypeError(value)
            if kind is bool and isinstance(value, str):
                if value.lower() not in ("1", "0", "true", "false", "yes", "no"):
                    raise ValueError(value)
                changes[key] = value.lower() in ("1", "true", "yes")
            elif issubclass(kind, Path):
                changes[key] = Path(value)
            else:
                changes[key] = kind(value)
        except (TypeError, ValueError):
            raise ConfigError(
                f"{origin}: {key} = {value!r} is not valid; expected a {kind.__name__}"
            ) from None
    settings = replace(base, **changes)
    _validate(settings, origin)
    return settings


def _validate(settings: Settings, origin: str) -> None:
    from citywatch.embed import EMBEDDERS

    if settings.embedder not in EMBEDDERS:
        raise ConfigError(
            f"{origin}: embedder {settings.embedder!r} is unknown; expected one of "
            f"{', '.join(EMBEDDERS)}"
        )
    if settings.scan_fps < 0:
        raise ConfigError(f"{origin}: scan_fps must be >= 0 (0 = every frame)")
    if settings.shots_per_track < 1:
        raise ConfigError(f"{origin}: shots_per_track must be at least 1")
    if settings.detector_max_side_px < 160:
        raise ConfigError(f"{origin}: detector_max_side_px must be at least 160")
    if settings.max_analysed_cameras < 0:
        raise ConfigError(f"{origin}: max_analysed_cameras must be >= 0")
    if settings.rtsp_transport not in ("tcp", "udp"):
        raise ConfigError(f"{origin}: rtsp_transport must be 'tcp' or 'udp'")
    if settings.interim_sighting_after_s < 0:
        raise ConfigError(f"{origin}: interim_sighting_after_s must be >= 0 (0 disables)")
    for name in ("max_case_days", "retention_days", "session_hours"):
        if getattr(settings, name) <= 0:
            raise ConfigError(f"{origin}: {name} must be > 0")
    for name in ("open_timeout_s", "read_timeout_s", "stall_after_s", "hung_after_s"):
        if getattr(settings, name) <= 0:
            raise ConfigError(f"{origin}: {name} must be > 0")


def load_settings(home: str | Path | None = None, **options: Any) -> Settings:
    """Resolve settings for a home folder (`--home`, else `CITYWATCH_HOME`, else the default)."""
    location = Path(home or os.environ.get("CITYWATCH_HOME") or DEFAULT_HOME)
    settings = Settings(home=location)
    config_file = location / "config.toml"
    if config_file.is_file():
        try:
            values = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"{config_file}: not valid TOML ({error})") from None
        values.pop("home", None)
        settings = _coerce(settings, values, str(config_file))
    environment = {
        f.name: os.environ[f"CITYWATCH_{f.name.upper()}"]
        for f in fields(Settings)
        if f.name != "home" and f"CITYWATCH_{f.name.upper()}" in os.environ
    }
    settings = _coerce(settings, environment, "environment")
    return settings.with_options(**options)


def file_values(home: Path) -> dict[str, Any]:
    """The settings `<home>/config.toml` sets (empty when there is none)."""
    config_file = home / "config.toml"
    if not config_file.is_file():
        return {}
    try:
        return tomllib.loads(config_file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{config_file}: not valid TOML ({error})") from None


def render_toml(values: dict[str, Any]) -> str:
    """Flat settings as TOML (strings, numbers and booleans are all a setting can be)."""
    lines = ["# citywatch settings; changed with 'citywatch config set' (audited)"]
    for key in sorted(values):
        value = values[key]
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int | float):
            text = repr(value)
        else:
            text = '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
        lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"


def changed_setting(settings: Settings, key: str, value: str) -> Settings:
    """`settings` with `key` set from text, validated like every other source of settings."""
    if key == "home":
        raise ConfigError("home is where the settings live; choose it with --home")
    return _coerce(settings, {key: value}, "config set")
