"""Bodies of the core resources: sessions, cases, watchlists, alerts and reviews."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from citywatch.alerts.review import status_label
from citywatch.types import Alert, Case, Review, User, Watchlist


class LoginRequest(BaseModel):
    name: str
    password: str


class UserPublic(BaseModel):
    name: str
    roles: list[str]
    disabled: bool

    @classmethod
    def of(cls, user: User) -> UserPublic:
        return cls(name=user.name, roles=sorted(user.roles), disabled=user.disabled)


class SessionPublic(BaseModel):
    token: str = Field(description="Send as 'Authorization: Bearer TOKEN'.")
    user: UserPublic
    expires_at: datetime


class ScopeModel(BaseModel):
    camera_ids: list[str] = []
    groups: list[str] = []
    area: list[tuple[float, float]] = Field(default=[], description="(lat, lon) vertices")
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class CaseCreate(BaseModel):
    reference: str
    category: str = Field(description="wanted, missing_person or imminent_threat")
    legal_basis: str
    scope: ScopeModel
    expires_at: datetime
    retention_days: int | None = None


class CasePublic(BaseModel):
    reference: str
    category: str
    status: str = Field(description="draft, active, expired or closed")
    legal_basis: str
    scope: ScopeModel
    requested_by: str
    approved_by: str | None
    created_at: datetime
    approved_at: datetime | None
    expires_at: datetime
    closed_at: datetime | None
    retention_days: int

    @classmethod
    def of(cls, case: Case, now: datetime) -> CasePublic:
        scope = case.scope
        return cls(
            reference=case.reference,
            category=case.category,
            status=case.state(now),
            legal_basis=case.legal_basis,
            scope=ScopeModel(
                camera_ids=sorted(scope.camera_ids),
                groups=sorted(scope.groups),
                area=list(scope.area),
                starts_at=scope.starts_at,
                ends_at=scope.ends_at,
            ),
            requested_by=case.requested_by,
            approved_by=case.approved_by,
            created_at=case.created_at,
            approved_at=case.approved_at,
            expires_at=case.expires_at,
            closed_at=case.closed_at,
            retention_days=case.retention_days,
        )


class CasesPublic(BaseModel):
    data: list[CasePublic]
    count: int


class CloseRequest(BaseModel):
    reason: str = ""


class WatchlistCreate(BaseModel):
    name: str
    case: str = Field(description="Reference of an active case of yours")
    min_similarity: float | None = None
    colour: str | None = Field(
        default=None,
        description="#rrggbb marking its alerts on the wall (default: by the case's category)",
    )
    priority: str = Field(default="normal", description="low, normal, high or urgent")


class WatchlistPublic(BaseModel):
    name: str
    case: str
    min_similarity: float | None
    people: int
    photos: int
    created_at: datetime
    colour: str
    priority: str

    @classmethod
    def of(cls, item: Watchlist) -> WatchlistPublic:
        return cls(
            name=item.name,
            case=item.case_reference,
            min_similarity=item.min_similarity,
            people=item.people,
            photos=item.photos,
            created_at=item.created_at,
            colour=item.colour,
            priority=item.priority,
        )


class WatchlistsPublic(BaseModel):
    data: list[WatchlistPublic]
    count: int


class ReviewPublic(BaseModel):
    reviewer: str
    decision: str
    note: str
    at: datetime

    @classmethod
    def of(cls, review: Review) -> ReviewPublic:
        return cls(
            reviewer=review.reviewer, decision=review.decision, note=review.note, at=review.at
        )


class AlertPublic(BaseModel):
    id: int
    person: str
    watchlist: str
    watchlist_colour: str = Field(description="#rrggbb of the watchlist")
    watchlist_priority: str = Field(description="low, normal, high or urgent")
    case: str
    camera: str
    similarity: float
    status: str
    label: str = Field(description="What an officer may do: 'unverified, do not act alone' ...")
    confirmations: int
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    first_seen_s: float
    last_seen_s: float
    created_at: datetime
    reviews: list[ReviewPublic] | None = None

    @classmethod
    def of(cls, alert: Alert, reviews: list[Review] | None = None) -> AlertPublic:
        return cls(
            id=alert.id,
            person=alert.person_name,
            watchlist=alert.watchlist,
            watchlist_colour=alert.watchlist_colour,
            watchlist_priority=alert.watchlist_priority,
            case=alert.case_reference,
            camera=alert.camera_id,
            similarity=round(alert.similarity, 4),
            status=alert.status,
            label=status_label(alert.status, alert.confirmations),
            confirmations=alert.confirmations,
            first_seen_at=alert.first_seen_at,
            last_seen_at=alert.last_seen_at,
            first_seen_s=alert.first_seen_s,
            last_seen_s=alert.last_seen_s,
            created_at=alert.created_at,
            reviews=None if reviews is None else [ReviewPublic.of(r) for r in reviews],
        )


class AlertsPublic(BaseModel):
    data: list[AlertPublic]
    count: int


class ReviewCreate(BaseModel):
    decision: str = Field(description="confirm or reject")
    note: str = ""
    not_this_person: bool = False
