"""Cases: the authority behind every watchlist, with scope, approver and expiry."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from citywatch.cases.scope import scope_from_json, scope_to_json
from citywatch.errors import ConflictError, NotFoundError
from citywatch.storage.media import parse_time, utc_text
from citywatch.storage.table import Table
from citywatch.types import Case, CaseScope, User

_CASE_QUERY = (
    "SELECT c.*, r.name AS requester, a.name AS approver, x.name AS closer FROM cases c "
    "JOIN users r ON r.id = c.requested_by LEFT JOIN users a ON a.id = c.approved_by "
    "LEFT JOIN users x ON x.id = c.closed_by"
)


def unknown_case(reference: str) -> str:
    """What a wrong case reference gets, and so also a case the user may not see."""
    return f"no case {reference!r}; see the case list ('citywatch case list', GET /api/cases)"


class CaseRegistry(Table):
    def create(
        self,
        reference: str,
        category: str,
        legal_basis: str,
        scope: CaseScope,
        requested_by: User,
        expires_at: datetime,
        retention_days: int,
    ) -> Case:
        try:
            with self.transaction() as db:
                db.execute(
                    "INSERT INTO cases (reference, category, legal_basis, scope, requested_by, "
                    "retention_days, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        reference,
                        category,
                        legal_basis,
                        scope_to_json(scope),
                        requested_by.id,
                        retention_days,
                        utc_text(datetime.now(UTC)),
                        utc_text(expires_at),
                    ),
                )
        except sqlite3.IntegrityError as error:
            # Only the reference is UNIQUE; a CHECK or foreign key failure is a bug above us
            # (the service validates first), not "already exists".
            if "UNIQUE" not in str(error):
                raise
            raise ConflictError(f"case {reference!r} already exists") from None
        return self.get(reference)

    def get(self, reference: str) -> Case:
        row = self.db.execute(_CASE_QUERY + " WHERE c.reference = ?", (reference,)).fetchone()
        if row is None:
            raise NotFoundError(unknown_case(reference))
        return _case(row)

    def by_id(self, case_id: int) -> Case:
        row = self.db.execute(_CASE_QUERY + " WHERE c.id = ?", (case_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no case with id {case_id}")
        return _case(row)

    def all(self) -> list[Case]:
        return [_case(r) for r in self.db.execute(_CASE_QUERY + " ORDER BY c.id")]

    def approve(self, case: Case, approver: User, at: datetime) -> Case:
        with self.transaction() as db:
            db.execute(
                "UPDATE cases SET status = 'active', approved_by = ?, approved_at = ? "
                "WHERE id = ? AND status = 'draft'",
                (approver.id, utc_text(at), case.id),
            )
        return self.by_id(case.id)

    def close(self, case: Case, user: User, at: datetime) -> Case:
        with self.transaction() as db:
            db.execute(
                "UPDATE cases SET status = 'closed', closed_by = ?, closed_at = ? "
                "WHERE id = ? AND status <> 'closed'",
                (user.id, utc_text(at), case.id),
            )
        return self.by_id(case.id)


def _case(row: sqlite3.Row) -> Case:
    return Case(
        id=row["id"],
        reference=row["reference"],
        category=row["category"],
        legal_basis=row["legal_basis"],
        scope=scope_from_json(row["scope"]),
        requested_by=row["requester"],
        created_at=datetime.fromisoformat(row["created_at"]),
        expires_at=datetime.fromisoformat(row["expires_at"]),
        retention_days=row["retention_days"],
        status=row["status"],
        approved_by=row["approver"],
        approved_at=parse_time(row["approved_at"]),
        closed_at=parse_time(row["closed_at"]),
        closed_by=row["closer"],
    )
