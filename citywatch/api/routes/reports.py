"""Reports without personal data (supervisors and auditors)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from citywatch.api.deps import UserServices
from citywatch.api.schemas.admin import TransparencyPublic

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/transparency")
def transparency(
    services: UserServices,
    starts: Annotated[date, Query(alias="from", description="First day (UTC), included")],
    ends: Annotated[date, Query(alias="to", description="Last day (UTC), included")],
) -> TransparencyPublic:
    """Counts of cases, watchlists, alerts, reviews and searches from `from` through `to`."""
    starts_at = datetime.combine(starts, time(), UTC)
    ends_at = datetime.combine(ends, time(), UTC) + timedelta(days=1)  # the whole last day
    return TransparencyPublic.of(services.transparency(starts_at, ends_at))
