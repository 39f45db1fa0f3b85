"""What every service shares: settings, the store, the acting user, authorization and audit.

Every public service method starts with `self.require(action, case)` and writes through
`self.audited(...)`, which puts the action's rows and its audit record in one transaction: if the
audit record cannot be written, the action does not happen (NIST AU-5).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from citywatch.cases.policy import authorize, may, may_role
from citywatch.config import Settings
from citywatch.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    StorageError,
)
from citywatch.models import PROFILE_MIN_SIMILARITY
from citywatch.storage import Store, open_store
from citywatch.types import AuditValue, Case, User

NOT_LOGGED_IN = (
    "not logged in: run 'citywatch login NAME' (or set CITYWATCH_USER and CITYWATCH_PASSWORD); "
    "on a new installation 'citywatch user bootstrap NAME' creates the first admin"
)


@dataclass(slots=True)
class AuditEntry:
    """The audit record of the action in progress; the block may fill in what it learns."""

    action: str
    object: str
    case_id: int | None = None
    details: dict[str, AuditValue] = field(default_factory=dict)


class ServiceBase:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.actor: User | None = None

    @cached_property
    def store(self) -> Store:
        return open_store(self.settings.home)

    @property
    def default_min_similarity(self) -> float:
        return PROFILE_MIN_SIMILARITY[self.settings.embedder]

    def now(self) -> datetime:
        return datetime.now(UTC)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()

    # -- who is acting, and may they ------------------------------------------------------------
    def user(self) -> User:
        if self.actor is None:
            raise AuthenticationError(NOT_LOGGED_IN)
        return self.actor

    def require(self, action: str, case: Case | None = None) -> User:
        """The acting user, if the policy lets them do `action` (in `case`); else refuse and
        record the refusal."""
        user = self.user()
        try:
            authorize(user, action, case, self.now())
        except PermissionDeniedError as denied:
            self._record_refusal(user.name, action, case, str(denied))
            raise
        return user

    def require_on(self, action: str, case: Case, view: str, missing: str) -> User:
        """`require` for an action on one object of `case` (an alert, a watchlist, the case
        itself). A user whose role may `view` such objects, but not this case's, is answered as if
        the object did not exist (NotFoundError with `missing`, the very message a wrong id gets):
        nobody learns what lies in other people's cases, not even that it exists. The audit log
        keeps the truth. A user who may see the object but not act on it is refused (403)."""
        user = self.user()
        if may_role(user, view) and not may(user, view, case, self.now()):
            self._record_refusal(user.name, action, case, f"outside the user's cases: {missing}")
            raise NotFoundError(missing)
        return self.require(action, case)

    def _record_refusal(self, actor: str, action: str, case: Case | None, reason: str) -> None:
        try:
            with self.store.transaction():
                self.store.audit.append(
                    actor,
                    "access.denied",
                    action,
                    case.id if case else None,
                    {"reason": reason},
                )
        except StorageError:
            pass  # the refusal stands whether or not it could be recorded

    def visible_case_ids(self, user: User) -> list[int] | None:
        """Cases whose faces `user` may see: None for all (supervisors, reviewers), else own."""
        if user.has("supervisor") or user.has("reviewer"):
            return None
        return [c.id for c in self.store.cases.all() if c.requested_by == user.name]

    # -- audit ----------------------------------------------------------------------------------
    @contextmanager
    def audited(
        self, action: str, object: str, case_id: int | None = None, **details: AuditValue
    ) -> Iterator[AuditEntry]:
        """Run the block and append its audit record in the same transaction."""
        entry = AuditEntry(action, object, case_id, dict(details))
        actor = self.actor.name if self.actor else "anonymous"
        with self.store.transaction():
            yield entry
            self.store.audit.append(actor, entry.action, entry.object, entry.case_id, entry.details)
