"""Webhook subscriptions: what an officer sends, and what comes back (the secret only once)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from citywatch.types import Webhook


class WebhookCreate(BaseModel):
    url: str = Field(description="http:// or https:// receiver; events are POSTed as JSON")
    case: str = Field(description="Reference of an active case of yours")


class WebhookPublic(BaseModel):
    id: int
    url: str
    created_by: str
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, hook: Webhook) -> WebhookPublic:
        return cls(
            id=hook.id,
            url=hook.url,
            created_by=hook.created_by,
            active=hook.active,
            created_at=hook.created_at,
        )


class WebhookCreated(WebhookPublic):
    secret: str = Field(
        description="HMAC-SHA256 key of the X-Citywatch-Signature header; shown only now"
    )


class WebhooksPublic(BaseModel):
    data: list[WebhookPublic]
    count: int
