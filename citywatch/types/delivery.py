"""Live delivery of alerts: the events an alert produces, webhooks and their deliveries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

ALERT_EVENT_KINDS = ("raised", "extended", "reviewed")


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """Something happened to an alert; `id` orders events (SSE ids), `uuid` is the webhook
    idempotency key."""

    id: int
    uuid: str
    alert_id: int
    case_id: int | None
    kind: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Webhook:
    id: int
    url: str
    case_id: int | None
    created_by: str
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event still owed to one webhook."""

    event: AlertEvent
    webhook: Webhook
    secret: str
    attempts: int
