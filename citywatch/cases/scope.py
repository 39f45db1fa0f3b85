"""Where and when a case may look: camera ids, camera groups, an area polygon, a time window.

The area is a polygon of (lat, lon) vertices in order; a camera at a point inside it is in scope.
The test treats latitude and longitude as plane coordinates (ray casting), which is exact enough
for a city-sized area and wrong for one that crosses the antimeridian or a pole; such areas are
not a city's and are not supported. A point exactly on an edge may fall either way.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime

from citywatch.errors import InputError
from citywatch.types import CaseScope

Point = tuple[float, float]
MIN_VERTICES = 3
AREA_FORMAT = "'lat,lon;lat,lon;lat,lon' (at least 3 points, lat in [-90, 90], lon in [-180, 180])"


def _inside(lat: float, lon: float, area: Sequence[Point]) -> bool:
    """Even-odd ray casting: count edges crossed by a ray from the point towards larger lon."""
    inside = False
    previous_lat, previous_lon = area[-1]
    for vertex_lat, vertex_lon in area:
        if (vertex_lat > lat) != (previous_lat > lat):
            crossing_lon = vertex_lon + (lat - vertex_lat) * (previous_lon - vertex_lon) / (
                previous_lat - vertex_lat
            )
            if lon < crossing_lon:
                inside = not inside
        previous_lat, previous_lon = vertex_lat, vertex_lon
    return inside


def camera_in_scope(
    scope: CaseScope,
    camera_id: str,
    group: str = "",
    lat: float | None = None,
    lon: float | None = None,
) -> bool:
    """Whether a camera is inside the scope: its id or group is listed, or it stands in the area.

    A camera without a position is never inside an area, and an area of fewer than three vertices
    holds no point.
    """
    if camera_id in scope.camera_ids or (group and group in scope.groups):
        return True
    if lat is None or lon is None or len(scope.area) < MIN_VERTICES:
        return False
    return _inside(lat, lon, scope.area)


def time_in_scope(scope: CaseScope, at: datetime) -> bool:
    """Whether `at` is inside the window `starts_at <= at < ends_at`; a missing end is open."""
    if scope.starts_at is not None and at < scope.starts_at:
        return False
    return scope.ends_at is None or at < scope.ends_at


def _area_error(text: str, problem: str) -> InputError:
    return InputError(f"area {text!r}: {problem}; expected {AREA_FORMAT}")


def _vertex(lat: float, lon: float, text: str) -> Point:
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise _area_error(text, f"point {lat},{lon} is not a finite number")
    if not -90.0 <= lat <= 90.0:
        raise _area_error(text, f"latitude {lat} is out of range")
    if not -180.0 <= lon <= 180.0:
        raise _area_error(text, f"longitude {lon} is out of range")
    return (lat, lon)


def parse_area(text: str) -> tuple[Point, ...]:
    """Read an area polygon as typed on the command line: `lat,lon` points separated by `;`.

    Spaces around numbers and a trailing `;` are allowed.
    """
    vertices: list[Point] = []
    for piece in text.split(";"):
        if not piece.strip():
            continue
        numbers = piece.split(",")
        if len(numbers) != 2:
            raise _area_error(text, f"point {piece.strip()!r} is not 'lat,lon'")
        try:
            lat, lon = float(numbers[0]), float(numbers[1])
        except ValueError:
            raise _area_error(text, f"point {piece.strip()!r} is not two numbers") from None
        vertices.append(_vertex(lat, lon, text))
    if len(vertices) < MIN_VERTICES:
        raise _area_error(text, f"{len(vertices)} point(s) do not make an area")
    return tuple(vertices)


def _utc(at: datetime) -> datetime:
    # Scope times are UTC by convention; a naive time is taken as UTC, not as local time.
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _iso(at: datetime | None) -> str | None:
    return None if at is None else _utc(at).isoformat()


def scope_to_json(scope: CaseScope) -> str:
    """Stable JSON for a scope: sorted keys and lists, UTC ISO times; area vertices keep order."""
    return json.dumps(
        {
            "camera_ids": sorted(scope.camera_ids),
            "groups": sorted(scope.groups),
            "area": [[lat, lon] for lat, lon in scope.area],
            "starts_at": _iso(scope.starts_at),
            "ends_at": _iso(scope.ends_at),
        },
        sort_keys=True,
    )


def _names(value: object, key: str, text: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise InputError(f"scope {text!r}: {key} must be a list of names")
    return frozenset(value)


def _time(value: object, key: str, text: str) -> datetime | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        at = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"scope {text!r}: {key} must be an ISO time or null") from None
    return _utc(at)


def _area(value: object, text: str) -> tuple[Point, ...]:
    problem = f"scope {text!r}: area must be a list of [lat, lon] pairs"
    if not isinstance(value, list):
        raise InputError(problem)
    vertices: list[Point] = []
    for pair in value:
        if not (
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(n, int | float) and not isinstance(n, bool) for n in pair)
        ):
            raise InputError(problem)
        vertices.append(_vertex(float(pair[0]), float(pair[1]), text))
    if 0 < len(vertices) < MIN_VERTICES:
        raise _area_error(text, f"{len(vertices)} point(s) do not make an area")
    return tuple(vertices)


def scope_from_json(text: str) -> CaseScope:
    """The scope `scope_to_json` wrote; missing keys read as empty or open."""
    try:
        data = json.loads(text)
    except ValueError:
        raise InputError(f"scope {text!r}: not JSON; expected a scope object") from None
    if not isinstance(data, dict):
        raise InputError(f"scope {text!r}: expected a JSON object")
    return CaseScope(
        camera_ids=_names(data.get("camera_ids", []), "camera_ids", text),
        groups=_names(data.get("groups", []), "groups", text),
        area=_area(data.get("area", []), text),
        starts_at=_time(data.get("starts_at"), "starts_at", text),
        ends_at=_time(data.get("ends_at"), "ends_at", text),
    )


def _minute(at: datetime) -> str:
    return _utc(at).strftime("%Y-%m-%d %H:%M")


def describe_scope(scope: CaseScope) -> str:
    """One line for people, e.g. `cameras gate-1, gate-2; groups centre; area of 4 points;
    2026-11-01 00:00 to 2026-12-01 00:00 UTC`."""
    parts: list[str] = []
    if scope.camera_ids:
        noun = "camera" if len(scope.camera_ids) == 1 else "cameras"
        parts.append(f"{noun} {', '.join(sorted(scope.camera_ids))}")
    if scope.groups:
        noun = "group" if len(scope.groups) == 1 else "groups"
        parts.append(f"{noun} {', '.join(sorted(scope.groups))}")
    if scope.area:
        parts.append(f"area of {len(scope.area)} points")
    if not parts:
        parts.append("no cameras")
    starts, ends = scope.starts_at, scope.ends_at
    if starts is not None and ends is not None:
        parts.append(f"{_minute(starts)} to {_minute(ends)} UTC")
    elif starts is not None:
        parts.append(f"from {_minute(starts)} UTC")
    elif ends is not None:
        parts.append(f"until {_minute(ends)} UTC")
    else:
        parts.append("any time")
    return "; ".join(parts)
