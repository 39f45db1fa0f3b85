"""Cases and the watchlists that belong to them."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta

from citywatch.cases.policy import may
from citywatch.cases.scope import describe_scope
from citywatch.errors import ConflictError, InputError
from citywatch.services.base import ServiceBase
from citywatch.storage.cases import unknown_case
from citywatch.types import (
    CASE_CATEGORIES,
    DEFAULT_WATCHLIST_COLOUR,
    WATCHLIST_PRIORITIES,
    Case,
    CaseScope,
    Watchlist,
)

NO_CASE = (
    "a watchlist belongs to a case: an officer creates one with 'citywatch case create REFERENCE "
    "--category wanted --legal-basis TEXT --camera ID --days N', a supervisor approves it with "
    "'citywatch case approve REFERENCE', then 'citywatch watchlist create NAME --case REFERENCE'"
)


COLOUR = re.compile(r"#[0-9a-f]{6}")
CATEGORY_COLOURS = {
    "wanted": DEFAULT_WATCHLIST_COLOUR,
    "missing_person": "#1971c2",
    "imminent_threat": "#e8590c",
}


class CaseServices(ServiceBase):
    def create_case(
        self,
        reference: str,
        category: str,
        legal_basis: str,
        scope: CaseScope,
        expires_at: datetime,
        retention_days: int | None = None,
    ) -> Case:
        officer = self.require("case.create")
        reference, legal_basis = reference.strip(), legal_basis.strip()
        if not reference or len(reference) > 64 or any(c in reference for c in "\r\n\t"):
            raise InputError(
                f"case reference {reference!r} is not usable; expected 1-64 characters on one "
                "line, such as the warrant or file number ('2026/CR-1187')"
            )
        if category not in CASE_CATEGORIES:
            raise InputError(
                f"case category {category!r} is unknown; expected one of "
                f"{', '.join(CASE_CATEGORIES)}"
            )
        if not legal_basis:
            raise InputError(
                "the legal basis is empty; expected the law, order or warrant relied on"
            )
        if not (scope.camera_ids or scope.groups or scope.area):
            raise InputError(
                "the case's scope names no camera, group or area; expected at least one "
                "(--camera ID, --group G or --area 'lat,lon;lat,lon;lat,lon')"
            )
        if scope.starts_at and scope.ends_at and scope.ends_at <= scope.starts_at:
            raise InputError("the scope's time window ends before it starts")
        now = self.now()
        latest = now + timedelta(days=self.settings.max_case_days)
        if not now < expires_at <= latest:
            raise InputError(
                f"expiry {expires_at:%Y-%m-%d %H:%M} UTC is not allowed; expected a time after now "
                f"and at most {self.settings.max_case_days} days ahead (max_case_days)"
            )
        retention = self.settings.retention_days if retention_days is None else retention_days
        if not 1 <= retention <= 3650:
            raise InputError(f"retention of {retention} days is out of range; expected 1 to 3650")
        with self.audited(
            "case.create",
            f"case:{reference}",
            category=category,
            legal_basis=legal_basis,
            scope=describe_scope(scope),
            expires_at=expires_at.isoformat(),
            retention_days=retention,
        ) as entry:
            case = self.store.cases.create(
                reference, category, legal_basis, scope, officer, expires_at, retention
            )
            entry.case_id = case.id
        return case

    def approve_case(self, reference: str) -> Case:
        case = self.store.cases.get(reference)
        supervisor = self.require_on("case.approve", case, "case.view", unknown_case(reference))
        if case.expires_at <= self.now():
            raise ConflictError(f"case {reference!r} expired on {case.expires_at:%Y-%m-%d}")
        with self.audited("case.approve", f"case:{reference}", case.id):
            return self.store.cases.approve(case, supervisor, self.now())

    def close_case(self, reference: str, reason: str = "") -> Case:
        case = self.store.cases.get(reference)
        user = self.require_on("case.close", case, "case.view", unknown_case(reference))
        if case.status == "closed":
            raise ConflictError(f"case {reference!r} is already closed")
        with self.audited("case.close", f"case:{reference}", case.id, reason=reason.strip()):
            return self.store.cases.close(case, user, self.now())

    def case(self, reference: str) -> Case:
        case = self.store.cases.get(reference)
        self.require_on("case.view", case, "case.view", unknown_case(reference))
        return case

    def cases(self) -> list[Case]:
        """The cases the acting user may see: officers their own, supervisors and auditors all."""
        user, now = self.user(), self.now()
        return [c for c in self.store.cases.all() if may(user, "case.view", c, now)]

    # -- watchlists -----------------------------------------------------------------------------
    def create_watchlist(
        self,
        name: str,
        min_similarity: float | None = None,
        case_reference: str | None = None,
        colour: str | None = None,
        priority: str = "normal",
    ) -> Watchlist:
        """A watchlist in an active case of the officer's. `colour` (#rrggbb) marks its alerts on
        the wall; by default it follows the case's category (wanted red, missing people blue,
        imminent threats orange)."""
        name = name.strip()
        if not name:
            raise InputError("watchlist name is empty; expected a name such as 'wanted'")
        if not case_reference:
            raise InputError(NO_CASE)
        case = self.store.cases.get(case_reference)
        self.require_on("watchlist.create", case, "case.view", unknown_case(case_reference))
        if min_similarity is not None and not -1.0 <= min_similarity <= 1.0:
            raise InputError(
                f"minimum similarity {min_similarity} is out of range; expected a cosine "
                "similarity between -1 and 1"
            )
        colour = colour or CATEGORY_COLOURS.get(case.category, DEFAULT_WATCHLIST_COLOUR)
        colour = colour.strip().lower()
        if not COLOUR.fullmatch(colour):
            raise InputError(
                f"colour {colour!r} is not usable; expected #rrggbb, such as '#c92a2a' (red)"
            )
        if priority not in WATCHLIST_PRIORITIES:
            raise InputError(
                f"priority {priority!r} is not one of {', '.join(WATCHLIST_PRIORITIES)}"
            )
        with self.audited(
            "watchlist.create",
            f"watchlist:{name}",
            case.id,
            min_similarity=min_similarity,
            colour=colour,
            priority=priority,
        ):
            created = self.store.create_watchlist(name, min_similarity, case.id, colour, priority)
        return self.resolve(created)

    def watchlists(self) -> list[Watchlist]:
        """The lists of the cases the acting user may see."""
        user = self.require("watchlist.view")
        visible = self.visible_case_ids(user)
        lists = self.store.watchlists()
        if visible is not None:
            lists = [w for w in lists if w.case_id in visible]
        return [self.resolve(w) for w in lists]

    def resolve(self, watchlist: Watchlist) -> Watchlist:
        """Fill in the effective threshold of a list that uses the embedder's default."""
        if watchlist.min_similarity is not None:
            return watchlist
        return replace(watchlist, min_similarity=self.default_min_similarity)

    def watchlist_case(self, name: str) -> Case:
        """The case a watchlist belongs to (refusing lists made before cases existed)."""
        listed = self.store.watchlist(name)
        if listed.case_id is None:
            raise ConflictError(
                f"watchlist {name!r} belongs to no case and cannot be used; {NO_CASE}"
            )
        return self.store.cases.by_id(listed.case_id)
