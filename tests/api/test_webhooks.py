"""Webhooks: alert events POSTed to a real HTTP receiver, signed, retried with backoff, at least
once and never lost: deliveries are owed from the alert's own transaction on."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from citywatch.alerts.delivery import WebhookSender, backoff_s
from citywatch.storage import open_store

from .conftest import login, raise_alert


class Receiver:
    """A control-room system: answers `statuses` in turn (then 200), records what it got."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/citywatch"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def subscribe(client: TestClient, url: str) -> str:
    response = client.post(
        "/api/webhooks", json={"url": url, "case": "C-olga"}, headers=login(client, "olga")
    )
    assert response.status_code == 201, response.text
    return str(response.json()["secret"])


def test_an_alert_is_posted_signed_with_its_idempotency_key(
    alerting_client: TestClient, alerting_home: Path, receiver: Receiver
) -> None:
    secret = subscribe(alerting_client, receiver.url)
    alert_id = raise_alert(alerting_home, "olga", "door-1")
    raise_alert(alerting_home, "oleg", "door-2")  # another case: not this webhook's business

    store = open_store(alerting_home)
    try:
        assert WebhookSender(store).send_due() == (1, 0)
    finally:
        store.close()

    ((headers, body),) = receiver.received
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["x-citywatch-signature"] == expected
    event = json.loads(body)
    assert headers["idempotency-key"] == event["id"]
    assert (event["event"], event["alert_id"]) == ("raised", alert_id)
    assert event["alert"]["case"] == "C-olga"
    assert event["alert"]["status"] == "pending"


def test_a_refused_delivery_is_retried_with_backoff_under_the_same_key(
    alerting_client: TestClient, alerting_home: Path, receiver: Receiver
) -> None:
    subscribe(alerting_client, receiver.url)
    raise_alert(alerting_home, "olga", "door-1")
    receiver.statuses = [503, 500]
    clock = Clock()
    store = open_store(alerting_home)
    try:
        sender = WebhookSender(store, clock)
        assert sender.send_due() == (0, 1)
        assert sender.send_due() == (0, 0)  # not due again before its backoff
        clock.now += timedelta(seconds=backoff_s(1))
        assert sender.send_due() == (0, 1)
        clock.now += timedelta(seconds=backoff_s(2))
        assert sender.send_due() == (1, 0)
        clock.now += timedelta(hours=2)
        assert sender.send_due() == (0, 0)  # delivered: never again
    finally:
        store.close()

    keys = [headers["idempotency-key"] for headers, _ in receiver.received]
    assert len(keys) == 3 and len(set(keys)) == 1


def test_an_unreachable_receiver_keeps_the_event_owed_across_a_restart(
    alerting_client: TestClient, alerting_home: Path, receiver: Receiver
) -> None:
    url = receiver.url
    receiver.close()  # the control room is down
    subscribe(alerting_client, url)
    raise_alert(alerting_home, "olga", "door-1")
    clock = Clock()
    store = open_store(alerting_home)
    try:
        assert WebhookSender(store, clock).send_due() == (0, 1)
    finally:
        store.close()  # citywatch stops ("crashes") with the event undelivered

    back = Receiver()  # the control room is back (on a new port: the webhook is pointed there)
    try:
        store = open_store(alerting_home)
        try:
            store.db.execute("UPDATE webhooks SET url = ?", (back.url,))
            clock.now += timedelta(seconds=backoff_s(1))
            assert WebhookSender(store, clock).send_due() == (1, 0)
        finally:
            store.close()
        assert len(back.received) == 1
    finally:
        back.close()


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("ftp://example.org/x", 422),
        ("http://user:pass@example.org/x", 422),
        ("not a url", 422),
    ],
)
def test_a_bad_webhook_url_is_refused(alerting_client: TestClient, url: str, status: int) -> None:
    response = alerting_client.post(
        "/api/webhooks", json={"url": url, "case": "C-olga"}, headers=login(alerting_client, "olga")
    )
    assert response.status_code == status
    assert "pass" not in response.json()["detail"]


def test_only_the_case_officer_subscribes(alerting_client: TestClient) -> None:
    body = {"url": "http://127.0.0.1:9/x", "case": "C-olga"}
    # Another officer is not told the case exists; the others may know it and are refused.
    for user, status in (("oleg", 404), ("ada", 403), ("sam", 403)):
        response = alerting_client.post(
            "/api/webhooks", json=body, headers=login(alerting_client, user)
        )
        assert response.status_code == status, user


def test_an_alert_of_another_officers_case_answers_as_a_wrong_id(
    alerting_home: Path, alerting_client: TestClient
) -> None:
    alert_id = raise_alert(alerting_home, "olga", "door-1")
    oleg = login(alerting_client, "oleg")
    theirs = alerting_client.get(f"/api/alerts/{alert_id}", headers=oleg)
    unknown = alerting_client.get("/api/alerts/99999", headers=oleg)
    assert (theirs.status_code, unknown.status_code) == (404, 404)
    assert theirs.json()["detail"] == unknown.json()["detail"].replace("99999", str(alert_id))
    review = {"decision": "confirm", "note": ""}
    refused = alerting_client.post(f"/api/alerts/{alert_id}/reviews", json=review, headers=oleg)
    assert refused.status_code == 404
    mine = alerting_client.get(f"/api/alerts/{alert_id}", headers=login(alerting_client, "olga"))
    assert mine.status_code == 200
    assert mine.json()["person"] == "Person of olga"
    assert (mine.json()["watchlist_colour"], mine.json()["watchlist_priority"]) == (
        "#c92a2a",  # the colour of a case of category "wanted"
        "normal",
    )
