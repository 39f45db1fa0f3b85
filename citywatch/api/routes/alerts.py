"""Alerts of the caller's cases, and their two-person review. Every view is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from citywatch.api.deps import UserServices
from citywatch.api.schemas import AlertPublic, AlertsPublic, ReviewCreate

router = APIRouter(prefix="/alerts", tags=["alerts"])


@router.get("")
def list_alerts(
    services: UserServices,
    status: Annotated[str | None, Query(description="pending, confirmed or rejected")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> AlertsPublic:
    alerts = [AlertPublic.of(a) for a in services.alerts(status, limit)]
    return AlertsPublic(data=alerts, count=len(alerts))


@router.get("/{alert_id}")
def show_alert(alert_id: int, services: UserServices) -> AlertPublic:
    alert, reviews = services.alert(alert_id)
    return AlertPublic.of(alert, reviews)


@router.post("/{alert_id}/reviews", status_code=201)
def review_alert(alert_id: int, body: ReviewCreate, services: UserServices) -> AlertPublic:
    reviewed = services.review(alert_id, body.decision, body.note, body.not_this_person)
    return AlertPublic.of(reviewed)
