"""Who may do what: the authorization matrix, enforced in code.

Every service calls `authorize` before it acts, so the CLI, the API and the workers share one
answer. A user may act when one of their roles grants the action (the table) and, for an action on
a case, the case rules allow it too. Disabled users may do nothing.

    action               admin  officer  supervisor  reviewer  auditor
    user.manage            x
    user.list              x                                      x
    settings.change        x
    camera.manage          x
    camera.view            x      x         x           x         x
    runtime.run            x
    retention.run          x
    case.create                   x
    case.approve                            x (1)
    case.close                    own       x
    case.view                     own       x           x         x (2)
    watchlist.create              own, A
    watchlist.view                own       x
    person.enroll                 own, A
    face.compare                  x (4)
    search.run                    own, A
    webhook.manage                own, A
    alert.view                    own       x           x (3)
    alert.review                                        x (3)
    audit.view                                                    x
    audit.verify           x                                      x
    audit.export                                                  x
    audit.checkpoint       x                                      x
    report.transparency                     x                     x

    own  only in cases the officer requested
    A    only while the case is active: approved, not closed, not expired
    (1)  a draft case, not past its expiry, requested by someone else (two people per case)
    (2)  metadata only (reference, category, legal basis, scope, who and when); never faces
    (3)  except in cases the reviewer requested: nobody confirms their own case's matches
    (4)  given a case, only in the officer's own active case; without one, the role decides

Admins run the system but never see or handle faces; auditors see the record of who did what and
the statistics, never faces or crops. Closing an already closed case is refused for everyone.

Actions in `CASE_ACTIONS` have per-case rules, applied when `authorize` is given the case. Those
in `CASE_REQUIRED` act on one case and must be given it. The views (`case.view`,
`watchlist.view`, `alert.view`) may be asked without a case: that is the gate of a page or
command that lists across cases, which then keeps only the rows `may(user, action, case)` allows.
"""

from __future__ import annotations

from datetime import UTC, datetime

from citywatch.errors import PermissionDeniedError
from citywatch.types import ROLES, Case, User

ACTIONS = frozenset(
    {
        "user.manage",
        "user.list",
        "settings.change",
        "camera.manage",
        "camera.view",
        "runtime.run",
        "retention.run",
        "case.create",
        "case.approve",
        "case.close",
        "case.view",
        "watchlist.create",
        "watchlist.view",
        "person.enroll",
        "face.compare",
        "search.run",
        "webhook.manage",
        "alert.view",
        "alert.review",
        "audit.view",
        "audit.verify",
        "audit.export",
        "audit.checkpoint",
        "report.transparency",
    }
)

CASE_ACTIONS = frozenset(
    {
        "case.approve",
        "case.close",
        "case.view",
        "watchlist.create",
        "watchlist.view",
        "person.enroll",
        "face.compare",
        "search.run",
        "webhook.manage",
        "alert.view",
        "alert.review",
    }
)
"""Actions with per-case rules, applied whenever `authorize` is given the case."""

CASE_REQUIRED = frozenset(
    {
        "case.approve",
        "case.close",
        "watchlist.create",
        "person.enroll",
        "search.run",
        "webhook.manage",
        "alert.review",
    }
)
"""Actions that change or process one case's data: `authorize` refuses to decide them without it,
so that a forgotten argument cannot turn into "allowed in every case"."""

ACTIVE_CASE_ACTIONS = frozenset(
    {"watchlist.create", "person.enroll", "face.compare", "search.run", "webhook.manage"}
)
"""Actions that process new faces, allowed only while the case is active."""

FACE_ACTIONS = frozenset(
    {"watchlist.create", "watchlist.view", "person.enroll", "face.compare", "search.run"}
    | {"alert.view", "alert.review", "webhook.manage"}
)
"""Actions that show or process faces: never granted to admins or auditors."""

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {
            "user.manage",
            "user.list",
            "settings.change",
            "camera.manage",
            "camera.view",
            "runtime.run",
            "retention.run",
            "audit.verify",
            "audit.checkpoint",
        }
    ),
    "officer": frozenset(
        {
            "camera.view",
            "case.create",
            "case.close",
            "case.view",
            "watchlist.create",
            "watchlist.view",
            "person.enroll",
            "face.compare",
            "search.run",
            "webhook.manage",
            "alert.view",
        }
    ),
    "supervisor": frozenset(
        {
            "camera.view",
            "case.approve",
            "case.close",
            "case.view",
            "watchlist.view",
            "alert.view",
            "report.transparency",
        }
    ),
    "reviewer": frozenset({"camera.view", "case.view", "alert.view", "alert.review"}),
    "auditor": frozenset(
        {
            "user.list",
            "camera.view",
            "case.view",
            "audit.view",
            "audit.verify",
            "audit.export",
            "audit.checkpoint",
            "report.transparency",
        }
    ),
}


def roles_allowed(action: str) -> tuple[str, ...]:
    """The roles that grant `action`, in the order of `ROLES`."""
    _check_action(action)
    return tuple(role for role in ROLES if action in ROLE_ACTIONS[role])


def _check_action(action: str) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; expected one of {', '.join(sorted(ACTIONS))}")


def _granting_roles(user: User, action: str) -> list[str]:
    return [role for role in ROLES if role in user.roles and action in ROLE_ACTIONS[role]]


def _minute(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _inactive(case: Case, at: datetime) -> str:
    state = case.state(at)
    if state == "draft":
        return f"case {case.reference} is a draft, not yet approved by a supervisor"
    if state == "closed":
        by = f" by {case.closed_by}" if case.closed_by else ""
        when = f" on {_minute(case.closed_at)}" if case.closed_at else ""
        return f"case {case.reference} was closed{by}{when}"
    if state == "expired":
        return f"case {case.reference} expired on {_minute(case.expires_at)}"
    return f"case {case.reference} is not active (status {state!r}, no approver recorded)"


def _case_reason(user: User, action: str, case: Case, at: datetime) -> str | None:
    """Why the case forbids the action to anyone, whatever their roles; None if it does not."""
    if action == "case.approve":
        if case.requested_by == user.name:
            return (
                f"{user.name} requested case {case.reference}; "
                "a case must be approved by someone else"
            )
        if case.status != "draft":
            return f"only a draft case can be approved; case {case.reference} is {case.state(at)}"
        if at >= case.expires_at:
            return f"case {case.reference} expired on {_minute(case.expires_at)} before approval"
    if action == "case.close" and case.status == "closed":
        return f"case {case.reference} is already closed"
    if action in ACTIVE_CASE_ACTIONS and not case.is_active(at):
        return _inactive(case, at)
    return None


def _role_reason(role: str, user: User, action: str, case: Case) -> str | None:
    """Why `role` does not let `user` do `action` in this case; None if it does."""
    if role == "officer" and case.requested_by != user.name:
        return (
            f"officers act only in cases they requested, "
            f"and case {case.reference} was requested by {case.requested_by}"
        )
    if (
        role == "reviewer"
        and action in {"alert.view", "alert.review"}
        and case.requested_by == user.name
    ):
        return (
            f"reviewers may not see or review alerts of a case they requested, "
            f"and {user.name} requested case {case.reference}"
        )
    return None


def _denied(user: User, action: str, case: Case | None, reason: str) -> PermissionDeniedError:
    where = f" in case {case.reference}" if case is not None else ""
    allowed = ", ".join(roles_allowed(action))
    return PermissionDeniedError(
        f"{user.name} may not {action}{where}: {reason} (roles that may: {allowed})"
    )


def _authorize_role(user: User, action: str) -> None:
    _check_action(action)
    if user.disabled:
        raise _denied(user, action, None, f"user {user.name} is disabled")
    if not _granting_roles(user, action):
        held = ", ".join(sorted(user.roles)) or "no roles"
        raise _denied(user, action, None, f"{user.name} has {held}")


def authorize(
    user: User, action: str, case: Case | None = None, at: datetime | None = None
) -> None:
    """Raise PermissionDeniedError unless `user` may do `action` (in `case`, as of `at`).

    Without a case, only the roles decide (the gate of a list across cases). Raises ValueError, a
    programming error, for an unknown action or one in `CASE_REQUIRED` without its case. `at`
    defaults to now; pass it when deciding for a recorded moment.
    """
    _check_action(action)
    if action in CASE_REQUIRED and case is None:
        raise ValueError(f"{action} is decided per case; pass the case")
    _authorize_role(user, action)
    if case is None or action not in CASE_ACTIONS:
        return
    moment = datetime.now(UTC) if at is None else at
    reason = _case_reason(user, action, case, moment)
    if reason is not None:
        raise _denied(user, action, case, reason)
    reasons = [_role_reason(role, user, action, case) for role in _granting_roles(user, action)]
    refusals = [reason for reason in reasons if reason is not None]
    if len(refusals) == len(reasons):
        raise _denied(user, action, case, "; ".join(refusals))


def may(user: User, action: str, case: Case | None = None, at: datetime | None = None) -> bool:
    """Whether `authorize` would allow it; ValueError still signals a programming error."""
    try:
        authorize(user, action, case, at)
    except PermissionDeniedError:
        return False
    return True


def may_role(user: User, action: str) -> bool:
    """Whether one of the user's roles grants `action` at all: for menus, never for one case."""
    try:
        _authorize_role(user, action)
    except PermissionDeniedError:
        return False
    return True
