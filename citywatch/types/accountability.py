"""Who may look for whom, and the record of who did: users, cases and their scope, reviews, audit.

A case is the authority for everything face-related: every watchlist belongs to one, and a
watchlist matches only while its case is active (approved by a second person, not closed, not
expired) and only on cameras and times inside the case's scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

ROLES = ("admin", "officer", "supervisor", "reviewer", "auditor")
"""admin: users, cameras, settings (no faces); officer: cases, watchlists, enrolment, searches in
own cases; supervisor: approves cases; reviewer: reviews alerts; auditor: audit log and statistics
(never faces or crops)."""

CASE_CATEGORIES = ("wanted", "missing_person", "imminent_threat")
CASE_STATUSES = ("draft", "active", "closed")
"""Stored statuses. `expired` is not stored: an active case past its expiry reads as expired."""
ALERT_STATUSES = ("pending", "confirmed", "rejected")
REVIEW_DECISIONS = ("confirm", "reject")
REQUIRED_CONFIRMATIONS = 2
"""Distinct eligible reviewers who must confirm a match before anyone acts on it (AI Act 14(5))."""

AuditValue = str | int | float | bool | None
"""A value in an audit record's details: flat and JSON-encodable, so the hash is canonical."""


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    roles: frozenset[str]
    created_at: datetime
    disabled: bool = False

    def has(self, role: str) -> bool:
        return role in self.roles and not self.disabled


@dataclass(frozen=True, slots=True)
class CaseScope:
    """Where and when a case may look: camera ids and/or camera groups, an optional area polygon
    of (lat, lon) vertices, and an optional time window (UTC). A camera is inside when its id or
    group is listed, or when it lies inside the area; no cameras, groups or area means none."""

    camera_ids: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    area: tuple[tuple[float, float], ...] = ()
    starts_at: datetime | None = None
    ends_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Case:
    id: int
    reference: str
    category: str
    legal_basis: str
    scope: CaseScope
    requested_by: str
    """The officer who created the case (a user name)."""
    created_at: datetime
    expires_at: datetime
    retention_days: int
    """How long alerts and their evidence are kept after they are raised."""
    status: str = "draft"
    approved_by: str | None = None
    approved_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None

    def is_active(self, at: datetime) -> bool:
        return self.status == "active" and self.approved_by is not None and at < self.expires_at

    def state(self, at: datetime) -> str:
        """draft, active, expired or closed, as of `at`."""
        if self.status == "active" and at >= self.expires_at:
            return "expired"
        return self.status


@dataclass(frozen=True, slots=True)
class Review:
    """One reviewer's decision on one alert."""

    alert_id: int
    reviewer: str
    decision: str
    note: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One record of the hash-chained audit log.

    `hash` is SHA-256 over the canonical encoding of every other field, `previous_hash` included,
    so changing, removing, inserting or reordering any record breaks the chain from there on.
    """

    sequence: int
    at: datetime
    actor: str
    action: str
    object: str
    case_id: int | None
    details: dict[str, AuditValue] = field(default_factory=dict)
    previous_hash: str = ""
    hash: str = ""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement that the log had `sequence` records ending in `head_hash`."""

    sequence: int
    head_hash: str
    signed_at: datetime
    public_key: str
    """Ed25519 public key, hex: which key signed it."""
    signature: str
    """Ed25519 signature, hex, over the checkpoint's canonical encoding."""


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The outcome of verifying the audit log."""

    ok: bool
    records: int
    head_sequence: int
    head_hash: str
    checkpoints: int
    first_bad_sequence: int | None = None
    problem: str = ""


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """What one run of the retention job deleted."""

    alerts: int = 0
    """Alerts deleted, each with its evidence crop."""
    people: int = 0
    photos: int = 0
    examples: int = 0
    """"Not this person" examples of deleted people."""
    sessions: int = 0


@dataclass(frozen=True, slots=True)
class TransparencyReport:
    """Counts for a period, for the public: no names, faces, cameras or case references."""

    starts_at: datetime
    ends_at: datetime
    cases_created: dict[str, int]
    """By category."""
    cases_approved: int
    cases_closed: int
    cases_active_at_end: dict[str, int]
    """By category: cases active at the end of the period."""
    watchlists: dict[str, int]
    """By category: watchlists, people and photos held at the end of the period (keys
    `<category>.watchlists`, `<category>.people`, `<category>.photos`)."""
    enrolments: int
    searches: int
    alerts: int
    confirmations: int
    alerts_confirmed: int
    alerts_rejected: int
    refusals: int
    """Actions refused by the authorization rules."""
    failed_logins: int
    retention_deleted_alerts: int
