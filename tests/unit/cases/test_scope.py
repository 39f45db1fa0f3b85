"""Whether a camera and a moment fall inside a case's scope, and reading and writing scopes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from citywatch.cases.scope import (
    camera_in_scope,
    describe_scope,
    parse_area,
    scope_from_json,
    scope_to_json,
    time_in_scope,
)
from citywatch.errors import InputError
from citywatch.types import CaseScope

SQUARE = ((55.0, 37.0), (55.0, 38.0), (56.0, 38.0), (56.0, 37.0))
# A "C" open to the east: the notch between lat 55.3 and 55.7, lon 37.3 to 38.0, is outside.
C_SHAPE = (
    (55.0, 37.0),
    (55.0, 38.0),
    (55.3, 38.0),
    (55.3, 37.3),
    (55.7, 37.3),
    (55.7, 38.0),
    (56.0, 38.0),
    (56.0, 37.0),
)
START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("scope", "camera_id", "group", "expected"),
    [
        (CaseScope(camera_ids=frozenset({"gate-1", "gate-2"})), "gate-1", "", True),
        (CaseScope(camera_ids=frozenset({"gate-1", "gate-2"})), "gate-3", "", False),
        (CaseScope(groups=frozenset({"centre"})), "gate-3", "centre", True),
        (CaseScope(groups=frozenset({"centre"})), "gate-3", "north", False),
        (CaseScope(groups=frozenset({"centre"})), "gate-3", "", False),
        (CaseScope(groups=frozenset({""})), "gate-3", "", False),  # no group is not a group
        (CaseScope(), "gate-1", "centre", False),  # an empty scope holds no camera
    ],
)
def test_camera_is_in_scope_by_id_or_group(
    scope: CaseScope, camera_id: str, group: str, expected: bool
) -> None:
    assert camera_in_scope(scope, camera_id, group) is expected


@pytest.mark.parametrize(
    ("area", "lat", "lon", "expected"),
    [
        (SQUARE, 55.5, 37.5, True),
        (SQUARE, 55.01, 37.99, True),
        (SQUARE, 54.9, 37.5, False),
        (SQUARE, 55.5, 38.1, False),
        (SQUARE, 56.5, 36.5, False),
        (tuple(reversed(SQUARE)), 55.5, 37.5, True),  # winding direction does not matter
        (C_SHAPE, 55.1, 37.8, True),  # lower arm
        (C_SHAPE, 55.9, 37.8, True),  # upper arm
        (C_SHAPE, 55.5, 37.1, True),  # spine
        (C_SHAPE, 55.5, 37.8, False),  # in the notch: inside the bounding box, outside the area
        (C_SHAPE, 55.5, 38.5, False),
        (((55.0, 37.0), (56.0, 38.0)), 55.5, 37.5, False),  # two points are no area
    ],
)
def test_camera_is_in_scope_when_it_stands_in_the_area(
    area: tuple[tuple[float, float], ...], lat: float, lon: float, expected: bool
) -> None:
    assert camera_in_scope(CaseScope(area=area), "cam-9", lat=lat, lon=lon) is expected


@pytest.mark.parametrize(("lat", "lon"), [(None, 37.5), (55.5, None), (None, None)])
def test_camera_without_a_position_is_never_in_an_area(
    lat: float | None, lon: float | None
) -> None:
    assert not camera_in_scope(CaseScope(area=SQUARE), "cam-9", lat=lat, lon=lon)


def test_listed_camera_is_in_scope_even_outside_the_area() -> None:
    scope = CaseScope(camera_ids=frozenset({"cam-9"}), area=SQUARE)
    assert camera_in_scope(scope, "cam-9", lat=10.0, lon=10.0)


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "at", "expected"),
    [
        (START, END, START, True),  # the start is inside
        (START, END, START - timedelta(microseconds=1), False),
        (START, END, END - timedelta(microseconds=1), True),
        (START, END, END, False),  # the end is not
        (START, None, START + timedelta(days=3650), True),
        (START, None, START - timedelta(seconds=1), False),
        (None, END, END - timedelta(days=3650), True),
        (None, END, END, False),
        (None, None, START, True),
        (START, END, datetime(2026, 11, 1, 3, tzinfo=timezone(timedelta(hours=3))), True),
        (START, END, datetime(2026, 11, 1, 2, 59, tzinfo=timezone(timedelta(hours=3))), False),
    ],
)
def test_time_window_includes_its_start_and_excludes_its_end(
    starts_at: datetime | None, ends_at: datetime | None, at: datetime, expected: bool
) -> None:
    assert time_in_scope(CaseScope(starts_at=starts_at, ends_at=ends_at), at) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("55.75,37.61;55.76,37.62;55.74,37.63", ((55.75, 37.61), (55.76, 37.62), (55.74, 37.63))),
        (
            " 55.75, 37.61 ; 55.76,37.62;55.74 ,37.63; ",
            ((55.75, 37.61), (55.76, 37.62), (55.74, 37.63)),
        ),
        ("-90,-180;90,180;0,0;1,1", ((-90.0, -180.0), (90.0, 180.0), (0.0, 0.0), (1.0, 1.0))),
    ],
)
def test_area_is_read_from_the_command_line(
    text: str, expected: tuple[tuple[float, float], ...]
) -> None:
    assert parse_area(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "0 point(s) do not make an area"),
        ("55.75,37.61;55.76,37.62", "2 point(s) do not make an area"),
        ("55.75,37.61;55.76;55.74,37.63", "'55.76' is not 'lat,lon'"),
        ("55.75,37.61,1;55.76,37.62;55.74,37.63", "is not 'lat,lon'"),
        ("55.75,east;55.76,37.62;55.74,37.63", "'55.75,east' is not two numbers"),
        ("95,37.61;55.76,37.62;55.74,37.63", "latitude 95.0 is out of range"),
        ("55.75,181;55.76,37.62;55.74,37.63", "longitude 181.0 is out of range"),
        ("nan,37.61;55.76,37.62;55.74,37.63", "not a finite number"),
        ("55.75,inf;55.76,37.62;55.74,37.63", "not a finite number"),
    ],
)
def test_bad_area_is_refused_naming_the_text_and_the_format(text: str, problem: str) -> None:
    with pytest.raises(InputError, match=re.escape(problem)) as caught:
        parse_area(text)
    message = str(caught.value)
    assert repr(text) in message
    assert "'lat,lon;lat,lon;lat,lon' (at least 3 points" in message


FULL = CaseScope(
    camera_ids=frozenset({"gate-2", "gate-1"}),
    groups=frozenset({"centre", "bridge"}),
    area=SQUARE,
    starts_at=START,
    ends_at=END,
)


@pytest.mark.parametrize(
    "scope",
    [
        FULL,
        CaseScope(),
        CaseScope(camera_ids=frozenset({"gate-1"})),
        CaseScope(area=C_SHAPE, ends_at=END),
        CaseScope(groups=frozenset({"centre"}), starts_at=START),
    ],
)
def test_scope_survives_a_json_round_trip(scope: CaseScope) -> None:
    assert scope_from_json(scope_to_json(scope)) == scope


def test_scope_json_is_stable_sorted_and_in_utc() -> None:
    moscow = timezone(timedelta(hours=3))
    scope = CaseScope(
        camera_ids=frozenset({"gate-2", "gate-1"}),
        starts_at=datetime(2026, 11, 1, 3, tzinfo=moscow),
    )
    same = CaseScope(camera_ids=frozenset({"gate-1", "gate-2"}), starts_at=START)
    text = scope_to_json(scope)
    assert text == scope_to_json(same)
    assert json.loads(text) == {
        "area": [],
        "camera_ids": ["gate-1", "gate-2"],
        "ends_at": None,
        "groups": [],
        "starts_at": "2026-11-01T00:00:00+00:00",
    }


def test_area_keeps_its_vertex_order_in_json() -> None:
    assert json.loads(scope_to_json(CaseScope(area=C_SHAPE)))["area"] == [list(v) for v in C_SHAPE]


def test_scope_json_with_missing_keys_reads_as_empty_and_open() -> None:
    assert scope_from_json("{}") == CaseScope()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not json", "not JSON"),
        ("[]", "expected a JSON object"),
        ('{"camera_ids": "gate-1"}', "camera_ids must be a list of names"),
        ('{"groups": [1]}', "groups must be a list of names"),
        ('{"area": [[55, 37], [56, 38]]}', "2 point(s) do not make an area"),
        ('{"area": [[55, 37], [56], [57, 39]]}', "area must be a list of [lat, lon] pairs"),
        ('{"area": [[55, true], [56, 38], [57, 39]]}', "area must be a list of [lat, lon] pairs"),
        ('{"area": [[95, 37], [56, 38], [57, 39]]}', "latitude 95.0 is out of range"),
        ('{"starts_at": "yesterday"}', "starts_at must be an ISO time or null"),
        ('{"ends_at": 5}', "ends_at must be an ISO time or null"),
    ],
)
def test_malformed_scope_json_is_refused_naming_the_problem(text: str, problem: str) -> None:
    with pytest.raises(InputError, match=re.escape(problem)):
        scope_from_json(text)


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        (
            FULL,
            "cameras gate-1, gate-2; groups bridge, centre; area of 4 points; "
            "2026-11-01 00:00 to 2026-12-01 00:00 UTC",
        ),
        (CaseScope(camera_ids=frozenset({"gate-1"})), "camera gate-1; any time"),
        (
            CaseScope(groups=frozenset({"centre"}), starts_at=START),
            "group centre; from 2026-11-01 00:00 UTC",
        ),
        (CaseScope(area=C_SHAPE, ends_at=END), "area of 8 points; until 2026-12-01 00:00 UTC"),
        (CaseScope(), "no cameras; any time"),
    ],
)
def test_scope_is_described_in_one_line(scope: CaseScope, expected: str) -> None:
    assert describe_scope(scope) == expected
