"""Webhook delivery: every alert event to every subscribed webhook, at least once.

Deliveries are rows of the durable outbox (`storage/outbox.py`), owed from the moment the alert
commits; the sender POSTs what is due and marks it delivered on a 2xx answer, or schedules the
next attempt with exponential backoff (1 s, 2 s, 4 s, ... at most an hour). A receiver may get an
event twice (a crash between its answer and our commit); the `Idempotency-Key` header (the
event's uuid, the same on every attempt) lets it drop the repeat. `X-Citywatch-Signature:
sha256=<hex>` is the HMAC-SHA256 of the body with the webhook's secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from citywatch.storage import Store
from citywatch.types import Alert, Delivery

TIMEOUT_S = 5.0
MAX_BACKOFF_S = 3600.0


def backoff_s(attempts: int) -> float:
    """Seconds before the next attempt after `attempts` failed ones."""
    return float(min(2 ** max(attempts - 1, 0), MAX_BACKOFF_S))


def payload(delivery: Delivery, alert: Alert | None) -> bytes:
    event = delivery.event
    body: dict[str, object] = {
        "id": event.uuid,
        "event": event.kind,
        "at": event.created_at.isoformat(),
        "alert_id": event.alert_id,
    }
    if alert is not None:
        body["alert"] = {
            "person": alert.person_name,
            "watchlist": alert.watchlist,
            "case": alert.case_reference,
            "camera": alert.camera_id,
            "similarity": round(alert.similarity, 4),
            "status": alert.status,
            "confirmations": alert.confirmations,
            "first_seen_at": alert.first_seen_at.isoformat() if alert.first_seen_at else None,
            "last_seen_at": alert.last_seen_at.isoformat() if alert.last_seen_at else None,
        }
    return json.dumps(body, sort_keys=True).encode()


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(url: str, body: bytes, headers: dict[str, str]) -> None:
    """POST `body`; raises OSError (urllib's errors included) unless the answer is 2xx."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 (http/https only)
        if not 200 <= response.status < 300:
            raise OSError(f"HTTP {response.status}")


class WebhookSender:
    """Sends what is due from one store; `send_due` once, or `start` a background thread."""

    def __init__(self, store: Store, clock: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self.clock = clock or (lambda: datetime.now(UTC))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def send_due(self) -> tuple[int, int]:
        """Attempt every delivery that is due; (delivered, failed)."""
        delivered = failed = 0
        for delivery in self.store.outbox.due(self.clock()):
            try:
                alert: Alert | None = self.store.alert(delivery.event.alert_id)
            except Exception:  # deleted by retention: the event is still owed, without details
                alert = None
            body = payload(delivery, alert)
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "citywatch-webhook/1",
                "Idempotency-Key": delivery.event.uuid,
                "X-Citywatch-Event": delivery.event.kind,
                "X-Citywatch-Signature": signature(delivery.secret, body),
            }
            try:
                post(delivery.webhook.url, body, headers)
            except (OSError, ValueError) as error:  # refused, timed out, 4xx/5xx, bad URL
                retry_at = self.clock() + timedelta(seconds=backoff_s(delivery.attempts + 1))
                self.store.outbox.failed(delivery, f"{type(error).__name__}: {error}", retry_at)
                failed += 1
            else:
                self.store.outbox.delivered(delivery, self.clock())
                delivered += 1
        return delivered, failed

    def start(self, interval_s: float = 1.0) -> None:
        def loop() -> None:
            while not self._stop.wait(interval_s):
                self.send_due()

        self._thread = threading.Thread(target=loop, name="webhook-sender", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUT_S + 1)
