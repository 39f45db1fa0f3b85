"""Request and response bodies: `XCreate` in, `XPublic` out, lists as `XsPublic{data, count}`.
One module per group of resources; import them from here."""

from __future__ import annotations

from citywatch.api.schemas.core import (
    AlertPublic,
    AlertsPublic,
    CaseCreate,
    CasePublic,
    CasesPublic,
    CloseRequest,
    LoginRequest,
    ReviewCreate,
    ReviewPublic,
    ScopeModel,
    SessionPublic,
    UserPublic,
    WatchlistCreate,
    WatchlistPublic,
    WatchlistsPublic,
)
from citywatch.api.schemas.people import (
    EnrolmentsPublic,
    ImportPublic,
    PeoplePublic,
    PersonPublic,
    PhotoEnrollmentPublic,
)
from citywatch.api.schemas.webhooks import (
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
    WebhooksPublic,
)

__all__ = [
    "AlertPublic",
    "AlertsPublic",
    "CaseCreate",
    "CasePublic",
    "CasesPublic",
    "CloseRequest",
    "EnrolmentsPublic",
    "ImportPublic",
    "LoginRequest",
    "PeoplePublic",
    "PersonPublic",
    "PhotoEnrollmentPublic",
    "ReviewCreate",
    "ReviewPublic",
    "ScopeModel",
    "SessionPublic",
    "UserPublic",
    "WatchlistCreate",
    "WatchlistPublic",
    "WatchlistsPublic",
    "WebhookCreate",
    "WebhookCreated",
    "WebhookPublic",
    "WebhooksPublic",
]
