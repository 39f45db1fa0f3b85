"""Webhooks: an officer subscribes a URL to the alert events of an active case of theirs."""

from __future__ import annotations

from fastapi import APIRouter

from citywatch.api.deps import UserServices
from citywatch.api.schemas import WebhookCreate, WebhookCreated, WebhookPublic, WebhooksPublic

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


@router.post("", status_code=201)
def add_webhook(body: WebhookCreate, services: UserServices) -> WebhookCreated:
    hook, secret = services.add_webhook(body.url, body.case)
    return WebhookCreated(**WebhookPublic.of(hook).model_dump(), secret=secret)


@router.get("")
def list_webhooks(services: UserServices) -> WebhooksPublic:
    hooks = [WebhookPublic.of(h) for h in services.webhooks()]
    return WebhooksPublic(data=hooks, count=len(hooks))
