"""Webhooks: an officer subscribes a URL to the alert events of an active case of theirs."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from citywatch.api.deps import UserServices
from citywatch.types import Webhook

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


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


@router.post("", status_code=201)
def add_webhook(body: WebhookCreate, services: UserServices) -> WebhookCreated:
    hook, secret = services.add_webhook(body.url, body.case)
    return WebhookCreated(**WebhookPublic.of(hook).model_dump(), secret=secret)


@router.get("")
def list_webhooks(services: UserServices) -> WebhooksPublic:
    hooks = [WebhookPublic.of(h) for h in services.webhooks()]
    return WebhooksPublic(data=hooks, count=len(hooks))
