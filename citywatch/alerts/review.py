"""Two-person review of alerts: nobody acts on a match until two independent people confirmed it.

An alert starts `pending` and is shown as "unverified, do not act alone". It becomes `confirmed`
once `REQUIRED_CONFIRMATIONS` distinct eligible reviewers confirmed it; one rejection (with its
reason) makes it `rejected`. Both are final. Eligible means holding the `reviewer` role, not
disabled, and not the officer who requested the alert's case: the person who wants a match is not
an independent check on it (EU AI Act art. 14(5)). One reviewer counts once however often they
try.

This module only decides; the caller loads the alert's stored reviews, stores the returned
`Review` and status, and audits both in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from citywatch.errors import ConflictError, InputError, PermissionDeniedError
from citywatch.types import (
    ALERT_STATUSES,
    REQUIRED_CONFIRMATIONS,
    REVIEW_DECISIONS,
    Case,
    Review,
    User,
)

FINAL_STATUSES = ("confirmed", "rejected")


def review_alert(
    alert_id: int,
    status: str,
    reviews: Sequence[Review],
    reviewer: User,
    case: Case,
    decision: str,
    note: str,
    at: datetime,
) -> tuple[str, Review]:
    """Check one reviewer's decision on an alert; return its new status and the review to store.

    Args:
        alert_id: the alert under review.
        status: its stored status, one of `ALERT_STATUSES`.
        reviews: its stored reviews, oldest first.
        reviewer: the user deciding.
        case: the case the alert's watchlist belongs to.
        decision: `confirm` or `reject`.
        note: free text; for a rejection, the reason (required).
        at: when the decision is made (UTC).

    Raises:
        PermissionDeniedError: the user may not review this alert (role, disabled, own case).
        ConflictError: the user already reviewed it, or it is already confirmed or rejected.
        InputError: an unknown decision, or a rejection without a reason.
    """
    if status not in ALERT_STATUSES:
        raise ValueError(f"alert {alert_id} has unknown status {status!r}")
    foreign = [r.alert_id for r in reviews if r.alert_id != alert_id]
    if foreign:
        raise ValueError(f"reviews of alert {foreign[0]} were given for alert {alert_id}")
    _check_reviewer(alert_id, reviewer, case)
    for earlier in reviews:
        if earlier.reviewer == reviewer.name:
            raise ConflictError(
                f"you already {_past(earlier.decision)} alert {alert_id} on {_when(earlier.at)}; "
                f"a second review must come from a different reviewer"
            )
    if status in FINAL_STATUSES:
        raise ConflictError(f"alert {alert_id} is already {status} and takes no more reviews")
    if decision not in REVIEW_DECISIONS:
        raise InputError(
            f"review decision {decision!r} is not understood; expected one of "
            f"{', '.join(REVIEW_DECISIONS)}"
        )
    note = note.strip()
    if decision == "reject" and not note:
        raise InputError(
            f"rejecting alert {alert_id} needs a reason in the note "
            f"(for example 'not this person: different ears')"
        )
    review = Review(alert_id=alert_id, reviewer=reviewer.name, decision=decision, note=note, at=at)
    if decision == "reject":
        return "rejected", review
    if confirmations([*reviews, review], case) >= REQUIRED_CONFIRMATIONS:
        return "confirmed", review
    return "pending", review


def confirmations(reviews: Sequence[Review], case: Case) -> int:
    """Distinct eligible reviewers who confirmed.

    Stored reviews are rechecked, not trusted: a confirmation by the case's requesting officer does
    not count, and a reviewer who appears twice counts once.
    """
    return len(
        {r.reviewer for r in reviews if r.decision == "confirm" and r.reviewer != case.requested_by}
    )


def status_label(status: str, confirmations: int) -> str:
    """How an alert's status reads to a person deciding whether to act on it."""
    if status == "pending":
        return (
            f"unverified, do not act alone "
            f"({confirmations} of {REQUIRED_CONFIRMATIONS} confirmations)"
        )
    if status == "confirmed":
        return f"confirmed by {confirmations} reviewer{'' if confirmations == 1 else 's'}"
    if status == "rejected":
        return "rejected"
    raise ValueError(f"unknown alert status {status!r}; expected one of {ALERT_STATUSES}")


def _check_reviewer(alert_id: int, reviewer: User, case: Case) -> None:
    if reviewer.disabled:
        raise PermissionDeniedError(
            f"user {reviewer.name!r} is disabled and cannot review alert {alert_id}"
        )
    if not reviewer.has("reviewer"):
        raise PermissionDeniedError(
            f"user {reviewer.name!r} cannot review alert {alert_id}: "
            f"reviewing alerts needs the reviewer role"
        )
    if reviewer.name == case.requested_by:
        raise PermissionDeniedError(
            f"user {reviewer.name!r} requested case {case.reference} and cannot review its "
            f"alerts: confirmations must come from people independent of the request "
            f"(EU AI Act art. 14(5))"
        )


def _past(decision: str) -> str:
    return {"confirm": "confirmed", "reject": "rejected"}.get(decision, f"reviewed ({decision})")


def _when(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC"
