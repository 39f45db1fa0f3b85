"""Two-person review: two distinct eligible reviewers confirm, one reasoned rejection rejects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citywatch.alerts.review import confirmations, review_alert, status_label
from citywatch.errors import ConflictError, InputError, PermissionDeniedError
from citywatch.types import Case, CaseScope, Review, User

AT = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)
ALERT = 12


def _user(user_id: int, name: str, *roles: str, disabled: bool = False) -> User:
    return User(
        id=user_id,
        name=name,
        roles=frozenset(roles),
        created_at=AT - timedelta(days=30),
        disabled=disabled,
    )


ANN = _user(1, "ann", "reviewer")
BOB = _user(2, "bob", "reviewer")
CY = _user(3, "cy", "reviewer", "supervisor")
OFFICER = _user(4, "olga", "officer", "reviewer")
"""Requested the case; also holds the reviewer role, which must not let her review its alerts."""
PLAIN_OFFICER = _user(5, "pete", "officer")
DISABLED = _user(6, "dora", "reviewer", disabled=True)

CASE = Case(
    id=3,
    reference="C-2025-003",
    category="missing_person",
    legal_basis="court order 17/2025",
    scope=CaseScope(camera_ids=frozenset({"cam"})),
    requested_by=OFFICER.name,
    created_at=AT - timedelta(days=2),
    expires_at=AT + timedelta(days=5),
    retention_days=30,
    status="active",
    approved_by="sam",
    approved_at=AT - timedelta(days=1),
)


def _review(reviewer: str, decision: str = "confirm", note: str = "", minutes: int = 0) -> Review:
    return Review(ALERT, reviewer, decision, note, AT + timedelta(minutes=minutes))


def _decide(
    reviewer: User,
    decision: str = "confirm",
    note: str = "",
    reviews: Sequence[Review] = (),
    status: str = "pending",
) -> tuple[str, Review]:
    return review_alert(ALERT, status, reviews, reviewer, CASE, decision, note, AT)


# -- the happy paths ----------------------------------------------------------------------------


def test_first_confirmation_leaves_the_alert_pending() -> None:
    status, review = _decide(ANN)

    assert status == "pending"
    assert review == Review(ALERT, "ann", "confirm", "", AT)


def test_second_confirmation_by_another_reviewer_confirms() -> None:
    status, review = _decide(BOB, reviews=[_review("ann")])

    assert status == "confirmed"
    assert review.reviewer == "bob"


def test_a_single_rejection_with_a_reason_rejects() -> None:
    status, review = _decide(ANN, "reject", "  not this person: different ears ")

    assert status == "rejected"
    assert review.decision == "reject"
    assert review.note == "not this person: different ears"


def test_a_rejection_after_one_confirmation_rejects() -> None:
    status, _ = _decide(BOB, "reject", "wrong person", reviews=[_review("ann")])

    assert status == "rejected"


def test_a_confirmation_keeps_its_optional_note() -> None:
    _, review = _decide(ANN, "confirm", "same scar on the chin")

    assert review.note == "same scar on the chin"


# -- who may review -----------------------------------------------------------------------------


def test_a_user_without_the_reviewer_role_cannot_review() -> None:
    with pytest.raises(PermissionDeniedError, match="'pete'.*reviewer role"):
        _decide(PLAIN_OFFICER)


def test_a_disabled_reviewer_cannot_review() -> None:
    with pytest.raises(PermissionDeniedError, match="'dora' is disabled"):
        _decide(DISABLED)


def test_the_requesting_officer_cannot_review_alerts_of_their_own_case() -> None:
    with pytest.raises(PermissionDeniedError, match="'olga' requested case C-2025-003.*14\\(5\\)"):
        _decide(OFFICER)


def test_the_requesting_officer_cannot_reject_either() -> None:
    with pytest.raises(PermissionDeniedError, match="olga"):
        _decide(OFFICER, "reject", "not him")


def test_one_reviewer_cannot_confirm_twice() -> None:
    with pytest.raises(ConflictError, match="you already confirmed alert 12 on 2025-03-04 10:30"):
        _decide(ANN, reviews=[_review("ann")])


def test_a_reviewer_who_confirmed_cannot_then_reject() -> None:
    with pytest.raises(ConflictError, match="you already confirmed alert 12"):
        _decide(ANN, "reject", "changed my mind", reviews=[_review("ann")])


def test_the_rejecting_reviewer_is_told_they_already_rejected() -> None:
    rejected = [_review("ann", "reject", "wrong person")]

    with pytest.raises(ConflictError, match="you already rejected alert 12"):
        _decide(ANN, reviews=rejected, status="rejected")


# -- final alerts and bad input -----------------------------------------------------------------


@pytest.mark.parametrize("status", ["confirmed", "rejected"])
def test_a_final_alert_takes_no_more_reviews(status: str) -> None:
    earlier = (
        [_review("ann"), _review("bob")]
        if status == "confirmed"
        else [_review("ann", "reject", "no")]
    )

    with pytest.raises(ConflictError, match=f"alert 12 is already {status}"):
        _decide(CY, reviews=earlier, status=status)


@pytest.mark.parametrize("decision", ["approve", "CONFIRM", "", "rejected"])
def test_an_unknown_decision_is_refused(decision: str) -> None:
    with pytest.raises(InputError, match="expected one of confirm, reject"):
        _decide(ANN, decision, "note")


@pytest.mark.parametrize("note", ["", "   ", "\n\t"])
def test_a_rejection_needs_a_reason(note: str) -> None:
    with pytest.raises(InputError, match="needs a reason"):
        _decide(ANN, "reject", note)


def test_reviews_of_another_alert_are_a_caller_bug() -> None:
    other = Review(ALERT + 1, "ann", "confirm", "", AT)

    with pytest.raises(ValueError, match="reviews of alert 13 were given for alert 12"):
        _decide(BOB, reviews=[other])


def test_an_unknown_stored_status_is_a_caller_bug() -> None:
    with pytest.raises(ValueError, match="unknown status 'open'"):
        _decide(ANN, status="open")


# -- stored reviews are rechecked ---------------------------------------------------------------


def test_a_stored_confirmation_by_the_requesting_officer_does_not_count() -> None:
    status, _ = _decide(ANN, reviews=[_review("olga")])

    assert status == "pending"


def test_a_stored_duplicate_confirmation_counts_once() -> None:
    status, _ = _decide(BOB, reviews=[_review("ann"), _review("ann", minutes=5)])

    assert status == "confirmed"
    assert confirmations([_review("ann"), _review("ann", minutes=5)], CASE) == 1


@pytest.mark.parametrize(
    ("reviews", "expected"),
    [
        ([], 0),
        ([_review("ann")], 1),
        ([_review("ann"), _review("bob")], 2),
        ([_review("ann"), _review("ann")], 1),
        ([_review("olga")], 0),
        ([_review("ann"), _review("olga")], 1),
        ([_review("ann", "reject", "no"), _review("bob")], 1),
    ],
)
def test_confirmations_count_distinct_eligible_confirming_reviewers(
    reviews: list[Review], expected: int
) -> None:
    assert confirmations(reviews, CASE) == expected


# -- labels -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "count", "label"),
    [
        ("pending", 0, "unverified, do not act alone (0 of 2 confirmations)"),
        ("pending", 1, "unverified, do not act alone (1 of 2 confirmations)"),
        ("confirmed", 2, "confirmed by 2 reviewers"),
        ("confirmed", 3, "confirmed by 3 reviewers"),
        ("rejected", 1, "rejected"),
    ],
)
def test_status_label_tells_whether_to_act(status: str, count: int, label: str) -> None:
    assert status_label(status, count) == label


def test_status_label_refuses_an_unknown_status() -> None:
    with pytest.raises(ValueError, match="unknown alert status 'open'"):
        status_label("open", 0)


# -- random review sequences --------------------------------------------------------------------

POOL = (ANN, BOB, CY, OFFICER, PLAIN_OFFICER, DISABLED)
ELIGIBLE = {"ann", "bob", "cy"}
ATTEMPTS = st.lists(
    st.tuples(
        st.sampled_from(POOL),
        st.sampled_from(["confirm", "reject", "approve"]),
        st.sampled_from(["", "  ", "not this person"]),
    ),
    max_size=12,
)
STORED_JUNK = st.lists(
    st.sampled_from([_review("olga"), _review("olga", "reject", "no"), _review("ann")]),
    max_size=3,
)
"""Stored reviews a buggy or older writer may have left: the officer's own, or duplicates."""


def _expected_status(accepted: Sequence[Review]) -> str:
    """The rule from the outside: the first reject wins unless two eligible people confirmed."""
    confirmers: set[str] = set()
    for review in accepted:
        if review.decision == "reject" and review.reviewer in ELIGIBLE:
            return "rejected"
        if review.decision == "confirm" and review.reviewer in ELIGIBLE:
            confirmers.add(review.reviewer)
            if len(confirmers) >= 2:
                return "confirmed"
    return "pending"


@settings(max_examples=300, deadline=None)
@given(stored=STORED_JUNK, attempts=ATTEMPTS)
def test_random_review_sequences_keep_the_two_person_rule(
    stored: list[Review], attempts: list[tuple[User, str, str]]
) -> None:
    reviews = list(stored)
    status = _expected_status(reviews)
    for user, decision, note in attempts:
        before = status
        try:
            status, review = review_alert(ALERT, status, reviews, user, CASE, decision, note, AT)
        except PermissionDeniedError:
            assert user.name not in ELIGIBLE
            continue
        except ConflictError:
            assert before != "pending" or user.name in {r.reviewer for r in reviews}
            continue
        except InputError:
            assert decision == "approve" or (decision == "reject" and not note.strip())
            continue
        assert before == "pending", "a final alert never changes"
        assert user.name in ELIGIBLE
        assert user.name not in {r.reviewer for r in reviews}, "one review per reviewer"
        assert decision == "confirm" or (decision == "reject" and note.strip())
        assert review == Review(ALERT, user.name, decision, note.strip(), AT)
        reviews.append(review)
        assert status == _expected_status(reviews)
        eligible_confirmers = {
            r.reviewer for r in reviews if r.decision == "confirm" and r.reviewer in ELIGIBLE
        }
        rejected = any(r.decision == "reject" and r.reviewer in ELIGIBLE for r in reviews)
        assert (status == "confirmed") == (len(eligible_confirmers) >= 2 and not rejected)
        assert (status == "rejected") == rejected
        assert len({r.reviewer for r in reviews[len(stored) :]}) == len(reviews) - len(stored)
