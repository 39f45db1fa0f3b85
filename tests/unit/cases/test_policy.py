"""The authorization matrix: which role may do what, and the rules that narrow it to one case."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from citywatch.cases.policy import (
    ACTIONS,
    authorize,
    may,
    may_role,
    roles_allowed,
)
from citywatch.errors import PermissionDeniedError
from citywatch.types import ROLES, Case, CaseScope, User

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)

# Written out by hand, not derived from ROLE_ACTIONS: this is the specification the code must meet.
# Each single-role user acts on case C-1, requested by the officer themself, which is active (a
# draft for case.approve). "yes" means allowed, "-" denied.
MATRIX = """
action               admin  officer  supervisor  reviewer  auditor
user.manage          yes    -        -           -         -
user.list            yes    -        -           -         yes
settings.change      yes    -        -           -         -
camera.manage        yes    -        -           -         -
camera.view          yes    yes      yes         yes       yes
runtime.run          yes    -        -           -         -
retention.run        yes    -        -           -         -
case.create          -      yes      -           -         -
case.approve         -      -        yes         -         -
case.close           -      yes      yes         -         -
case.view            -      yes      yes         yes       yes
watchlist.create     -      yes      -           -         -
watchlist.view       -      yes      yes         -         -
person.enroll        -      yes      -           -         -
face.compare         -      yes      -           -         -
search.run           -      yes      -           -         -
webhook.manage       -      yes      -           -         -
alert.view           -      yes      yes         yes       -
alert.review         -      -        -           yes       -
audit.view           -      -        -           -         yes
audit.verify         yes    -        -           -         yes
audit.export         -      -        -           -         yes
audit.checkpoint     yes    -        -           -         yes
report.transparency  -      -        yes         -         yes
"""


def _matrix() -> list[tuple[str, str, bool]]:
    header, *rows = (line.split() for line in MATRIX.strip().splitlines())
    return [
        (role, action, cell == "yes")
        for action, *cells in rows
        for role, cell in zip(header[1:], cells, strict=True)
    ]


NAMES = {
    "admin": "ada",
    "officer": "olga",
    "supervisor": "sam",
    "reviewer": "rita",
    "auditor": "aud",
}
FACE_ACTIONS = (
    "watchlist.create",
    "person.enroll",
    "face.compare",
    "search.run",
    "webhook.manage",
)
OFFICER_CASE_ACTIONS = (*FACE_ACTIONS, "watchlist.view", "alert.view", "case.view", "case.close")


def _user(name: str, *roles: str, disabled: bool = False) -> User:
    created_at = NOW - timedelta(days=30)
    return User(7, name, frozenset(roles), created_at, disabled=disabled)


def _case(requested_by: str = "olga", status: str = "active", **changes: Any) -> Case:
    case = Case(
        id=1,
        reference="C-1",
        category="wanted",
        legal_basis="court order 17/2026",
        scope=CaseScope(camera_ids=frozenset({"gate-1"})),
        requested_by=requested_by,
        created_at=NOW - timedelta(days=2),
        expires_at=NOW + timedelta(days=28),
        retention_days=30,
        status=status,
        approved_by="sam" if status != "draft" else None,
        approved_at=NOW - timedelta(days=1) if status != "draft" else None,
    )
    return replace(case, **changes)


CLOSED: dict[str, Any] = {
    "status": "closed",
    "closed_by": "olga",
    "closed_at": NOW - timedelta(hours=1),
}
EXPIRED: dict[str, Any] = {"expires_at": NOW - timedelta(hours=1)}


def test_matrix_covers_every_role_and_every_action() -> None:
    cells = _matrix()
    assert {role for role, _, _ in cells} == set(ROLES)
    assert {action for _, action, _ in cells} == ACTIONS
    assert len(cells) == len(ROLES) * len(ACTIONS)


@pytest.mark.parametrize(("role", "action", "allowed"), _matrix())
def test_single_role_user_may_do_exactly_what_the_matrix_says(
    role: str, action: str, allowed: bool
) -> None:
    user = _user(NAMES[role], role)
    case = _case(status="draft") if action == "case.approve" else _case()
    assert may(user, action, case, NOW) is allowed
    assert may_role(user, action) is allowed
    assert (role in roles_allowed(action)) is allowed


@pytest.mark.parametrize(("role", "action", "allowed"), [c for c in _matrix() if not c[2]])
def test_denial_names_the_user_the_action_and_the_roles_that_may(
    role: str, action: str, allowed: bool
) -> None:
    user = _user(NAMES[role], role)
    with pytest.raises(PermissionDeniedError) as caught:
        authorize(user, action, _case(status="draft") if action == "case.approve" else _case(), NOW)
    message = str(caught.value)
    assert message.startswith(f"{user.name} may not {action}")
    assert f"has {role}" in message
    assert f"(roles that may: {', '.join(roles_allowed(action))})" in message


@pytest.mark.parametrize("action", OFFICER_CASE_ACTIONS)
def test_officer_cannot_act_in_another_officers_case(action: str) -> None:
    other = _user("oleg", "officer")
    assert may(_user("olga", "officer"), action, _case(), NOW)
    with pytest.raises(PermissionDeniedError) as caught:
        authorize(other, action, _case(), NOW)
    assert str(caught.value).startswith(f"oleg may not {action} in case C-1: ")
    assert "officers act only in cases they requested" in str(caught.value)
    assert "requested by olga" in str(caught.value)


@pytest.mark.parametrize("action", ["alert.view", "alert.review"])
def test_reviewer_who_requested_the_case_cannot_see_or_review_its_alerts_as_reviewer(
    action: str,
) -> None:
    with pytest.raises(PermissionDeniedError, match="rita requested case C-1"):
        authorize(_user("rita", "reviewer"), action, _case(requested_by="rita"), NOW)


def test_officer_reviewer_sees_own_case_alerts_as_officer_but_cannot_review_them() -> None:
    olga = _user("olga", "officer", "reviewer")
    assert may(olga, "alert.view", _case(), NOW)
    with pytest.raises(PermissionDeniedError, match="reviewers may not .* a case they requested"):
        authorize(olga, "alert.review", _case(), NOW)
    assert may(olga, "alert.review", _case(requested_by="oleg"), NOW)


def test_supervisor_cannot_approve_own_case_but_another_supervisor_can() -> None:
    draft = _case(requested_by="sam", status="draft")
    with pytest.raises(PermissionDeniedError, match="approved by someone else"):
        authorize(_user("sam", "officer", "supervisor"), "case.approve", draft, NOW)
    assert may(_user("sue", "supervisor"), "case.approve", draft, NOW)


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"status": "active"}, "only a draft case can be approved; case C-1 is active"),
        (CLOSED, "only a draft case can be approved; case C-1 is closed"),
        ({"status": "active", **EXPIRED}, "case C-1 is expired"),
        ({"status": "draft", **EXPIRED}, "expired on 2026-11-15 11:00 UTC before approval"),
    ],
)
def test_only_a_live_draft_can_be_approved(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(PermissionDeniedError, match=re.escape(problem)):
        authorize(_user("sam", "supervisor"), "case.approve", _case(**changes), NOW)


@pytest.mark.parametrize("action", FACE_ACTIONS)
@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"status": "draft", "approved_by": None}, "case C-1 is a draft, not yet approved"),
        (CLOSED, "case C-1 was closed by olga on 2026-11-15 11:00 UTC"),
        (EXPIRED, "case C-1 expired on 2026-11-15 11:00 UTC"),
        ({"approved_by": None}, "case C-1 is not active"),
    ],
)
def test_nothing_new_is_processed_in_a_case_that_is_not_active(
    action: str, changes: dict[str, Any], problem: str
) -> None:
    olga = _user("olga", "officer")
    with pytest.raises(PermissionDeniedError, match=re.escape(f"in case C-1: {problem}")):
        authorize(olga, action, _case(**changes), NOW)


@pytest.mark.parametrize(
    ("user", "action"),
    [
        (_user("olga", "officer"), "case.view"),
        (_user("olga", "officer"), "watchlist.view"),
        (_user("olga", "officer"), "alert.view"),
        (_user("sam", "supervisor"), "alert.view"),
        (_user("rita", "reviewer"), "alert.review"),
        (_user("aud", "auditor"), "case.view"),
    ],
)
@pytest.mark.parametrize("changes", [CLOSED, EXPIRED], ids=["closed", "expired"])
def test_records_of_a_closed_or_expired_case_stay_viewable(
    user: User, action: str, changes: dict[str, Any]
) -> None:
    assert may(user, action, _case(**changes), NOW)


def test_closed_case_cannot_be_closed_again() -> None:
    with pytest.raises(PermissionDeniedError, match="case C-1 is already closed"):
        authorize(_user("sam", "supervisor"), "case.close", _case(**CLOSED), NOW)


def test_without_a_time_the_case_is_judged_as_of_now() -> None:
    olga = _user("olga", "officer")
    now = datetime.now(UTC)
    assert may(olga, "search.run", _case(expires_at=now + timedelta(hours=1)))
    assert not may(olga, "search.run", _case(expires_at=now - timedelta(hours=1)))


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_disabled_user_may_do_nothing(action: str) -> None:
    olga = _user("olga", *ROLES, disabled=True)
    assert may_role(_user("olga", *ROLES), action)  # enabled, the same user could
    with pytest.raises(PermissionDeniedError, match="user olga is disabled"):
        authorize(olga, action, _case(), NOW)
    assert not may_role(olga, action)


@pytest.mark.parametrize(
    ("roles", "action", "case", "allowed"),
    [
        (("admin", "officer"), "person.enroll", _case(), True),
        (("admin", "officer"), "person.enroll", _case(requested_by="oleg"), False),
        (("admin", "officer"), "user.manage", None, True),
        (
            ("officer", "supervisor"),
            "case.approve",
            _case(requested_by="oleg", status="draft"),
            True,
        ),
        (("officer", "supervisor"), "alert.view", _case(requested_by="oleg"), True),
        (("officer", "supervisor"), "search.run", _case(requested_by="oleg"), False),
        (("reviewer", "auditor"), "alert.review", _case(requested_by="oleg"), True),
        (("reviewer", "auditor"), "audit.export", None, True),
        (("admin", "auditor"), "alert.view", _case(), False),
        (("admin", "auditor"), "face.compare", _case(), False),
        ((), "camera.view", None, False),
    ],
)
def test_multi_role_user_may_do_what_any_of_their_roles_allows(
    roles: tuple[str, ...], action: str, case: Case | None, allowed: bool
) -> None:
    assert may(_user("olga", *roles), action, case, NOW) is allowed


def test_user_with_no_roles_is_told_so() -> None:
    with pytest.raises(PermissionDeniedError, match="nobody has no roles"):
        authorize(_user("nobody"), "camera.view")


def test_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown action 'face.delete'"):
        may(_user("olga", "officer"), "face.delete", _case(), NOW)
    with pytest.raises(ValueError, match="unknown action"):
        roles_allowed("face.delete")


CASE_REQUIRED = [
    "case.approve",
    "case.close",
    "watchlist.create",
    "person.enroll",
    "search.run",
    "webhook.manage",
    "alert.review",
]


@pytest.mark.parametrize("action", CASE_REQUIRED)
@pytest.mark.parametrize("user", [_user("olga", "officer"), _user("ada", "admin")])
def test_acting_on_a_case_without_naming_it_is_a_programming_error(user: User, action: str) -> None:
    with pytest.raises(ValueError, match=f"{re.escape(action)} is decided per case; pass the case"):
        authorize(user, action, None, NOW)


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        ("officer", "alert.view", True),
        ("supervisor", "alert.view", True),
        ("reviewer", "alert.view", True),
        ("admin", "alert.view", False),
        ("auditor", "alert.view", False),
        ("officer", "watchlist.view", True),
        ("reviewer", "watchlist.view", False),
        ("auditor", "case.view", True),
        ("admin", "case.view", False),
        ("officer", "face.compare", True),
        ("admin", "face.compare", False),
    ],
)
def test_without_a_case_a_view_is_the_gate_of_a_list_and_the_roles_decide(
    role: str, action: str, allowed: bool
) -> None:
    assert may(_user(NAMES[role], role), action, None, NOW) is allowed


def test_list_gate_refusal_names_the_roles_held() -> None:
    with pytest.raises(PermissionDeniedError, match=r"^ada may not alert\.view: ada has admin \("):
        authorize(_user("ada", "admin"), "alert.view")


@pytest.mark.parametrize(
    ("case", "problem"),
    [
        (_case(requested_by="oleg"), "officers act only in cases they requested"),
        (_case(**EXPIRED), "case C-1 expired on"),
    ],
)
def test_comparing_faces_for_a_case_is_held_to_the_case(case: Case, problem: str) -> None:
    with pytest.raises(PermissionDeniedError, match=problem):
        authorize(_user("olga", "officer"), "face.compare", case, NOW)
