"""The durable outbox of alert events: written in the alert's own transaction, read by SSE
clients (by id) and by the webhook sender (deliveries due), so a crash loses nothing undelivered."""

from __future__ import annotations

import secrets
import sqlite3
import uuid
from collections.abc import Collection
from datetime import UTC, datetime

from citywatch.errors import NotFoundError
from citywatch.storage.media import utc_text
from citywatch.storage.table import Table
from citywatch.types import ALERT_EVENT_KINDS, AlertEvent, Delivery, Webhook


class Outbox(Table):
    def publish(self, alert_id: int, case_id: int | None, kind: str) -> int:
        """Record an event of `alert_id` and owe it to every active webhook of its case."""
        if kind not in ALERT_EVENT_KINDS:
            raise ValueError(f"unknown alert event kind {kind!r}")
        now = utc_text(datetime.now(UTC))
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO alert_events (uuid, alert_id, case_id, kind, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (str(uuid.uuid4()), alert_id, case_id, kind, now),
            )
            event_id = int(cursor.lastrowid or 0)
            db.execute(
                "INSERT INTO webhook_deliveries (event_id, webhook_id, next_attempt_at) "
                "SELECT ?, id, ? FROM webhooks WHERE active = 1 "
                "AND (case_id IS NULL OR case_id = ?)",
                (event_id, now, case_id),
            )
        return event_id

    def latest_id(self) -> int:
        return int(self.db.execute("SELECT coalesce(max(id), 0) FROM alert_events").fetchone()[0])

    def events_after(
        self, last_id: int, case_ids: Collection[int] | None = None, limit: int = 100
    ) -> list[AlertEvent]:
        """Events after `last_id`, oldest first; `case_ids` limits them (None: every case)."""
        where, args = "id > ?", [last_id]
        if case_ids is not None:
            where += f" AND case_id IN ({', '.join('?' * len(case_ids)) or 'NULL'})"
            args.extend(case_ids)
        rows = self.db.execute(
            f"SELECT * FROM alert_events WHERE {where} ORDER BY id LIMIT ?", (*args, limit)
        ).fetchall()
        return [_event(r) for r in rows]

    # -- webhooks -------------------------------------------------------------------------------
    def add_webhook(self, url: str, case_id: int | None, created_by: str) -> tuple[Webhook, str]:
        """A new webhook and its signing secret (shown once)."""
        secret = secrets.token_urlsafe(32)
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO webhooks (url, secret, case_id, created_by, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (url, secret, case_id, created_by, utc_text(datetime.now(UTC))),
            )
        return self.webhook(int(cursor.lastrowid or 0)), secret

    def webhook(self, webhook_id: int) -> Webhook:
        row = self.db.execute("SELECT * FROM webhooks WHERE id = ?", (webhook_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no webhook with id {webhook_id}")
        return _webhook(row)

    def webhooks(self) -> list[Webhook]:
        return [_webhook(r) for r in self.db.execute("SELECT * FROM webhooks ORDER BY id")]

    def due(self, now: datetime, limit: int = 50) -> list[Delivery]:
        rows = self.db.execute(
            "SELECT d.attempts, w.secret, w.id AS w_id, w.url, w.case_id AS w_case_id, "
            "w.created_by, w.active, w.created_at AS w_created_at, e.* "
            "FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id "
            "JOIN alert_events e ON e.id = d.event_id WHERE d.delivered_at IS NULL "
            "AND d.next_attempt_at <= ? AND w.active = 1 ORDER BY e.id LIMIT ?",
            (utc_text(now), limit),
        ).fetchall()
        return [
            Delivery(
                event=_event(r),
                webhook=Webhook(
                    id=r["w_id"],
                    url=r["url"],
                    case_id=r["w_case_id"],
                    created_by=r["created_by"],
                    active=bool(r["active"]),
                    created_at=datetime.fromisoformat(r["w_created_at"]),
                ),
                secret=r["secret"],
                attempts=r["attempts"],
            )
            for r in rows
        ]

    def delivered(self, delivery: Delivery, at: datetime) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE webhook_deliveries SET delivered_at = ?, attempts = attempts + 1 "
                "WHERE event_id = ? AND webhook_id = ?",
                (utc_text(at), delivery.event.id, delivery.webhook.id),
            )

    def failed(self, delivery: Delivery, error: str, retry_at: datetime) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = ?, "
                "next_attempt_at = ? WHERE event_id = ? AND webhook_id = ?",
                (error[:500], utc_text(retry_at), delivery.event.id, delivery.webhook.id),
            )


def _event(row: sqlite3.Row) -> AlertEvent:
    return AlertEvent(
        id=row["id"],
        uuid=row["uuid"],
        alert_id=row["alert_id"],
        case_id=row["case_id"],
        kind=row["kind"],
        created_at=datetime.fromisoformat(row["created_at"]),
    )


def _webhook(row: sqlite3.Row) -> Webhook:
    return Webhook(
        id=row["id"],
        url=row["url"],
        case_id=row["case_id"],
        created_by=row["created_by"],
        active=bool(row["active"]),
        created_at=datetime.fromisoformat(row["created_at"]),
    )
