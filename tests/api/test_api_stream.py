"""Live alerts over Server-Sent Events, from the durable outbox, for the cases a user may see."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .conftest import login, raise_alert


@pytest.fixture
def client(alerting_client: TestClient) -> TestClient:
    return alerting_client


@pytest.fixture
def home(alerting_home: Path) -> Path:
    return alerting_home


def read_events(
    client: TestClient, headers: dict[str, str], url: str, count: int
) -> list[dict[str, Any]]:
    """The first `count` events of the stream, parsed; then the client hangs up."""
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if not line:
                if "data" in current:
                    events.append(current)
                    if len(events) == count:
                        return events
                current = {}
            elif not line.startswith(":"):
                key, _, value = line.partition(": ")
                current[key] = json.loads(value) if key == "data" else value
    return events


def test_an_alert_reaches_the_stream_with_its_id_kind_and_label(
    client: TestClient, home: Path
) -> None:
    alert_id = raise_alert(home, "olga", "door-1")

    (event,) = read_events(client, login(client, "olga"), "/api/alerts/stream?after=0", 1)

    assert event["event"] == "raised"
    assert int(event["id"]) >= 1
    assert event["data"]["id"] == alert_id
    assert event["data"]["label"].startswith("unverified, do not act alone")


def test_a_user_sees_only_alerts_of_cases_they_may_see(client: TestClient, home: Path) -> None:
    raise_alert(home, "oleg", "door-2")
    mine = raise_alert(home, "olga", "door-1")

    (event,) = read_events(client, login(client, "olga"), "/api/alerts/stream?after=0", 1)
    assert event["data"]["id"] == mine
    both = read_events(client, login(client, "sam"), "/api/alerts/stream?after=0", 2)
    assert {e["data"]["case"] for e in both} == {"C-olga", "C-oleg"}


def test_a_client_that_reconnects_gets_what_it_missed_and_nothing_twice(
    client: TestClient, home: Path
) -> None:
    olga = login(client, "olga")
    first = raise_alert(home, "olga", "door-1")
    (seen,) = read_events(client, olga, "/api/alerts/stream?after=0", 1)
    second = raise_alert(home, "olga", "door-1")

    (missed,) = read_events(client, {**olga, "Last-Event-ID": seen["id"]}, "/api/alerts/stream", 1)

    assert (seen["data"]["id"], missed["data"]["id"]) == (first, second)


def test_streaming_is_refused_to_auditors_and_strangers(client: TestClient) -> None:
    assert client.get("/api/alerts/stream").status_code == 401
    ada = login(client, "ada")
    assert client.get("/api/alerts/stream", headers=ada).status_code == 403
