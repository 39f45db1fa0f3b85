"""Cases in the store, on a real SQLite file: the round trip from draft to closed, and the rules
the database itself keeps even if the code above it forgot them."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from citywatch.errors import ConflictError, NotFoundError
from citywatch.storage import Store
from citywatch.types import Case, CaseScope, User

NOW = datetime.now(UTC).replace(microsecond=0)
SCOPE = CaseScope(
    camera_ids=frozenset({"gate-2", "gate-1"}),
    groups=frozenset({"centre"}),
    area=((51.5, -0.12), (51.6, -0.12), (51.6, -0.02)),
    starts_at=NOW - timedelta(days=1),
    ends_at=NOW + timedelta(days=10),
)


def _create(
    store: Store,
    officer: User,
    reference: str = "2026/CR-1187",
    category: str = "missing_person",
    legal_basis: str = "Missing persons act s.4",
    scope: CaseScope = SCOPE,
    retention_days: int = 14,
) -> Case:
    return store.cases.create(
        reference, category, legal_basis, scope, officer, NOW + timedelta(days=30), retention_days
    )


def _case_rows(store: Store) -> list[tuple[str, str, int | None]]:
    return [
        (r["reference"], r["status"], r["approved_by"])
        for r in store.db.execute("SELECT reference, status, approved_by FROM cases ORDER BY id")
    ]


# -- the round trip --------------------------------------------------------------------------


def test_created_case_is_a_draft_that_reads_back(store: Store, olga: User) -> None:
    before = datetime.now(UTC)

    created = _create(store, olga)

    assert (created.reference, created.category) == ("2026/CR-1187", "missing_person")
    assert created.legal_basis == "Missing persons act s.4"
    assert created.scope == SCOPE
    assert (created.requested_by, created.status, created.retention_days) == ("olga", "draft", 14)
    assert created.expires_at == NOW + timedelta(days=30)
    assert before <= created.created_at <= datetime.now(UTC)
    assert (created.approved_by, created.approved_at) == (None, None)
    assert (created.closed_by, created.closed_at) == (None, None)
    assert not created.is_active(datetime.now(UTC))
    assert store.cases.get("2026/CR-1187") == created
    assert store.cases.by_id(created.id) == created
    assert store.cases.all() == [created]


def test_approved_case_is_active_until_it_expires(store: Store, olga: User, sam: User) -> None:
    draft = _create(store, olga)

    approved = store.cases.approve(draft, sam, NOW)

    assert (approved.status, approved.approved_by, approved.approved_at) == ("active", "sam", NOW)
    assert approved.is_active(NOW)
    assert approved.state(approved.expires_at) == "expired"
    assert not approved.is_active(approved.expires_at)
    assert store.cases.get(draft.reference) == approved


def test_closed_case_records_who_closed_it_and_when(store: Store, olga: User, sam: User) -> None:
    active = store.cases.approve(_create(store, olga), sam, NOW)

    closed = store.cases.close(active, olga, NOW + timedelta(hours=3))

    assert (closed.status, closed.closed_by, closed.closed_at) == (
        "closed",
        "olga",
        NOW + timedelta(hours=3),
    )
    assert closed.approved_by == "sam"  # the approval stays on record
    assert not closed.is_active(NOW + timedelta(hours=4))


def test_a_closed_case_is_not_approved_or_closed_again(store: Store, olga: User, sam: User) -> None:
    closed = store.cases.close(_create(store, olga), sam, NOW)

    assert store.cases.approve(closed, sam, NOW + timedelta(hours=1)).status == "closed"
    again = store.cases.close(closed, olga, NOW + timedelta(hours=2))

    assert (again.status, again.closed_by, again.closed_at) == ("closed", "sam", NOW)
    assert again.approved_by is None


def test_an_empty_scope_round_trips_as_open_times(store: Store, olga: User) -> None:
    created = _create(store, olga, scope=CaseScope(camera_ids=frozenset({"gate-1"})))

    assert store.cases.get(created.reference).scope == CaseScope(camera_ids=frozenset({"gate-1"}))


def test_cases_are_listed_in_creation_order(store: Store, olga: User) -> None:
    for reference in ("B-2", "A-1", "C-3"):
        _create(store, olga, reference)

    assert [c.reference for c in store.cases.all()] == ["B-2", "A-1", "C-3"]


# -- refused -----------------------------------------------------------------------------------


def test_the_database_refuses_an_approver_who_requested_the_case(store: Store, olga: User) -> None:
    draft = _create(store, olga)

    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        store.cases.approve(draft, olga, NOW)  # the service would refuse first; the DB also does

    assert store.cases.get(draft.reference) == draft
    assert _case_rows(store) == [("2026/CR-1187", "draft", None)]


def test_the_database_refuses_an_active_case_without_an_approver(store: Store, olga: User) -> None:
    draft = _create(store, olga)

    with (
        pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"),
        store.transaction() as db,
    ):
        db.execute("UPDATE cases SET status = 'active' WHERE id = ?", (draft.id,))

    assert store.cases.get(draft.reference).status == "draft"


def test_duplicate_reference_is_a_conflict_and_keeps_the_first(store: Store, olga: User) -> None:
    first = _create(store, olga)

    with pytest.raises(ConflictError, match="case '2026/CR-1187' already exists"):
        _create(store, olga, category="wanted")

    assert store.cases.all() == [first]


@pytest.mark.parametrize(
    ("changes", "column"),
    [
        ({"category": "curious"}, "category"),
        ({"legal_basis": "   "}, "legal_basis"),
        ({"retention_days": 0}, "retention_days"),
    ],
    ids=["category", "legal_basis", "retention_days"],
)
def test_the_database_refuses_what_the_service_should_have_checked(
    store: Store, olga: User, changes: dict[str, Any], column: str
) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed") as caught:
        _create(store, olga, **changes)

    assert column in str(caught.value)  # SQLite names the failed constraint
    assert store.cases.all() == []


def test_a_case_needs_a_requester_who_exists(store: Store, olga: User) -> None:
    ghost = User(id=olga.id + 100, name="ghost", roles=frozenset({"officer"}), created_at=NOW)

    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        _create(store, ghost)

    assert store.cases.all() == []


def test_unknown_reference_is_not_found_naming_it(store: Store, olga: User) -> None:
    _create(store, olga)

    with pytest.raises(NotFoundError, match="no case '2026/CR-9999'") as caught:
        store.cases.get("2026/CR-9999")

    assert "citywatch case list" in str(caught.value)
    with pytest.raises(NotFoundError, match="no case with id 42"):
        store.cases.by_id(42)
