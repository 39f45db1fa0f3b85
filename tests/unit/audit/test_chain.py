"""The hash chain catches every kind of tampering, and names the first record it can't vouch for.

The property tests build random logs, optionally with signed checkpoints, apply one tampering and
check the verdict. Where the evidence cannot say which of two records was touched, the verifier
names the earlier one (see `verify_chain`); `expected_*` below spell out those rules.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import assume, given
from hypothesis import strategies as st

from citywatch.audit import (
    GENESIS_HASH,
    canonical_bytes,
    compute_hash,
    public_key_hex,
    seal,
    sign_checkpoint,
    verify_chain,
)
from citywatch.types import AuditEvent, Checkpoint

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
START = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
SIGNED_AT = datetime(2024, 6, 1, 0, 0, tzinfo=UTC)
FIELDS = ("sequence", "at", "actor", "action", "object", "case_id", "details", "previous_hash")

Log = list[AuditEvent]

texts = st.text(max_size=12)  # no lone surrogates: they are not UTF-8
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
)
entries = st.tuples(
    st.integers(0, 10**9),  # microseconds since the previous record
    st.sampled_from(["ana", "ben", "chloé", "system"]),
    st.sampled_from(["case.create", "case.approve", "watchlist.enrol", "alert.review"]),
    texts,
    st.none() | st.integers(1, 10**6),
    st.dictionaries(st.text(max_size=8), scalars, max_size=4),
)


def build(rows: list[tuple[int, str, str, str, int | None, dict[str, object]]]) -> Log:
    events: Log = []
    at = START
    for offset_us, actor, action, target, case_id, details in rows:
        at += timedelta(microseconds=offset_us)
        previous = events[-1] if events else None
        events.append(seal(previous, at, actor, action, target, case_id, details))  # type: ignore[arg-type]
    return events


def checkpoint(events: Log, sequence: int) -> Checkpoint:
    return sign_checkpoint(KEY, sequence, events[sequence - 1].hash, SIGNED_AT)


@st.composite
def checkpointed_logs(draw: st.DrawFn, min_size: int = 1) -> tuple[Log, list[Checkpoint]]:
    """A log and checkpoints at a random subset of its sequences (possibly none)."""
    events = draw(st.lists(entries, min_size=min_size, max_size=40).map(build))
    sequences = draw(st.sets(st.integers(1, len(events))))
    return events, [checkpoint(events, s) for s in sorted(sequences)]


def changed(event: AuditEvent, field: str) -> AuditEvent:
    """`event` with one field given a different value (its hash left as it was)."""
    value = getattr(event, field)
    if field == "sequence":
        new: Any = value + 7
    elif field == "at":
        new = value + timedelta(microseconds=1)
    elif field == "case_id":
        new = 1 if value is None else value + 1
    elif field == "details":
        new = {**value, "tampered!!": True}  # generated keys are at most 8 characters
    elif field in ("previous_hash", "hash"):
        new = hashlib.sha256(value.encode()).hexdigest()
    else:
        new = value + "x"
    return replace(event, **{field: new})


def rehashed(event: AuditEvent) -> AuditEvent:
    return replace(event, hash=compute_hash(event))


def last_checkpoint_before(checkpoints: list[Checkpoint], sequence: int) -> int:
    return max((c.sequence for c in checkpoints if c.sequence < sequence), default=0)


def assert_caught(events: Log, checkpoints: list[Checkpoint], first_bad: int) -> None:
    report = verify_chain(events, checkpoints)
    assert not report.ok
    assert report.first_bad_sequence == first_bad, report.problem
    assert report.problem


@given(checkpointed_logs())
def test_an_untouched_log_verifies(log: tuple[Log, list[Checkpoint]]) -> None:
    events, checkpoints = log
    report = verify_chain(iter(events), checkpoints, trusted_keys={public_key_hex(KEY)})
    assert report.ok, report.problem
    assert (report.records, report.head_sequence, report.head_hash) == (
        len(events),
        len(events),
        events[-1].hash,
    )
    assert (report.checkpoints, report.first_bad_sequence, report.problem) == (
        len(checkpoints),
        None,
        "",
    )


def test_an_empty_log_verifies_with_the_genesis_head() -> None:
    report = verify_chain([], [])
    assert (report.ok, report.records, report.head_sequence, report.head_hash) == (
        True,
        0,
        0,
        GENESIS_HASH,
    )


@given(checkpointed_logs(), st.data())
def test_editing_any_field_without_rehashing_is_caught_at_that_record(
    log: tuple[Log, list[Checkpoint]], data: st.DataObject
) -> None:
    events, checkpoints = log
    index = data.draw(st.integers(0, len(events) - 1))
    field = data.draw(st.sampled_from((*FIELDS, "hash")))
    events[index] = changed(events[index], field)
    assert_caught(events, checkpoints, index + 1)


def expected_after_rehash(field: str, sequence: int, checkpoints: list[Checkpoint]) -> int:
    """A renumbered record names itself. A changed link (previous_hash) breaks between this
    record and the one before, so the earlier is named unless a checkpoint vouches for it. Other
    content is caught by the next record's link, or first by a checkpoint at this record, which
    names the record after the last checkpoint that still agrees."""
    signed = {c.sequence for c in checkpoints}
    if field == "sequence":
        return sequence
    if field == "previous_hash":
        return sequence if sequence == 1 or sequence - 1 in signed else sequence - 1
    if sequence in signed:
        return last_checkpoint_before(checkpoints, sequence) + 1
    return sequence


@given(checkpointed_logs(), st.data())
def test_editing_a_record_and_rehashing_it_is_caught(
    log: tuple[Log, list[Checkpoint]], data: st.DataObject
) -> None:
    events, checkpoints = log
    index = data.draw(st.integers(0, len(events) - 1))
    field = data.draw(st.sampled_from(FIELDS))
    signed = {c.sequence for c in checkpoints}
    # Nothing links to the newest record: only a checkpoint of it can tell its content changed.
    assume(index < len(events) - 1 or field in ("sequence", "previous_hash") or index + 1 in signed)
    events[index] = rehashed(changed(events[index], field))
    assert_caught(events, checkpoints, expected_after_rehash(field, index + 1, checkpoints))


def test_a_rehashed_newest_record_is_caught_only_by_a_checkpoint_of_it() -> None:
    events = build([(1, "ana", "case.create", f"case {n}", n, {}) for n in range(1, 4)])
    original = list(events)
    events[-1] = rehashed(changed(events[-1], "actor"))
    assert verify_chain(events, []).ok  # nothing after it links to it
    assert_caught(events, [checkpoint(original, 1), checkpoint(original, 3)], 2)


@given(checkpointed_logs(), st.data())
def test_deleting_a_record_is_caught_at_the_gap(
    log: tuple[Log, list[Checkpoint]], data: st.DataObject
) -> None:
    events, checkpoints = log
    index = data.draw(st.integers(0, len(events) - 1))
    # Deleting the newest record is a truncation: only a checkpoint of it can tell.
    assume(index < len(events) - 1 or any(c.sequence == len(events) for c in checkpoints))
    del events[index]
    assert_caught(events, checkpoints, index + 1)


@given(checkpointed_logs(), st.data())
def test_inserting_a_forged_record_is_caught(
    log: tuple[Log, list[Checkpoint]], data: st.DataObject
) -> None:
    """The forgery takes the number of the record it pushes down and links to the one before,
    so it looks perfect on its own; the displaced record (or a checkpoint) gives it away."""
    events, checkpoints = log
    index = data.draw(st.integers(0, len(events) - 1))
    before = events[index - 1] if index else None
    forged = seal(before, events[index].at, "mallory", "case.close", "case 1", 1, {})
    events.insert(index, forged)
    sequence = index + 1
    if any(c.sequence == sequence for c in checkpoints):
        expected = last_checkpoint_before(checkpoints, sequence) + 1
    else:
        expected = sequence
    assert_caught(events, checkpoints, expected)


@given(checkpointed_logs(min_size=2), st.data())
def test_swapping_two_records_is_caught_at_the_earlier_place(
    log: tuple[Log, list[Checkpoint]], data: st.DataObject
) -> None:
    events, checkpoints = log
    first, second = sorted(
        data.draw(st.sets(st.integers(0, len(events) - 1), min_size=2, max_size=2))
    )
    events[first], events[second] = events[second], events[first]
    assert_caught(events, checkpoints, first + 1)


@given(checkpointed_logs(), st.data())
def test_cutting_off_the_tail_is_caught_by_a_later_checkpoint(
    log: tuple[Log, list[Checkpoint]], data: st.DataObject
) -> None:
    events, checkpoints = log
    kept = data.draw(st.integers(0, len(events) - 1))
    checkpoints.append(checkpoint(events, data.draw(st.integers(kept + 1, len(events)))))
    assert_caught(events[:kept], checkpoints, kept + 1)


@given(checkpointed_logs(), st.data())
def test_rewriting_everything_after_a_record_is_caught_by_a_checkpoint_at_or_after_it(
    log: tuple[Log, list[Checkpoint]], data: st.DataObject
) -> None:
    """Re-sealed records form a perfect chain; only a checkpoint of the old head can tell, and
    then anything after the last checkpoint that still agrees is suspect."""
    events, checkpoints = log
    index = data.draw(st.integers(0, len(events) - 1))
    checkpoints.append(checkpoint(events, data.draw(st.integers(index + 1, len(events)))))
    rewritten = events[:index]
    for event in events[index:]:
        previous = rewritten[-1] if rewritten else None
        rewritten.append(
            seal(previous, event.at, "mallory", event.action, event.object, None, event.details)
        )
    assert verify_chain(rewritten, []).ok  # the chain alone cannot tell
    assert_caught(rewritten, checkpoints, last_checkpoint_before(checkpoints, index + 1) + 1)


@pytest.fixture
def five() -> Log:
    return build([(1000, "ana", "case.create", f"case {n}", n, {"n": n}) for n in range(1, 6)])


def test_problems_read_as_sentences_naming_the_record(five: Log) -> None:
    edited = list(five)
    edited[2] = changed(edited[2], "actor")
    assert verify_chain(edited, []).problem == (
        "record 3 was changed: its hash does not match its content"
    )
    assert verify_chain(five[:2] + five[4:], []).problem == (
        "records 3 to 4 are missing: record 5 comes after record 2, so records were deleted or "
        "moved"
    )
    rewritten = five[:3]
    for event in five[3:]:
        rewritten.append(seal(rewritten[-1], event.at, "mallory", "case.close", "case 9", 9, {}))
    assert verify_chain(rewritten, [checkpoint(five, 2), checkpoint(five, 5)]).problem == (
        "record 5 differs from the checkpoint signed at 2024-06-01T00:00:00.000000+00:00: the "
        "log was rewritten, so records 3 to 5 cannot be trusted; restore them from a backup"
    )
    truncated = verify_chain(five[:3], [checkpoint(five, 5)])
    assert truncated.problem.startswith("the log ends at record 3, but the checkpoint signed at")
    assert truncated.problem.endswith("vouches for 5 records: records 4 to 5 were removed")


def test_a_replayed_copy_of_an_old_record_is_caught_where_it_was_put(five: Log) -> None:
    assert_caught([*five[:3], five[1], *five[3:]], [], 4)


def test_a_twin_of_a_checkpointed_record_is_the_one_named(five: Log) -> None:
    twin = seal(five[1], five[2].at, "mallory", "case.close", "case 3", 3, {})
    assert_caught([*five[:3], twin, *five[3:]], [], 3)  # either record 3 may be the forgery
    assert_caught([*five[:3], twin, *five[3:]], [checkpoint(five, 3)], 4)


@pytest.mark.parametrize(
    "forge",
    [
        lambda c: replace(c, sequence=c.sequence + 1),
        lambda c: replace(c, head_hash=GENESIS_HASH),
        lambda c: replace(c, signature="00" * 64),
        lambda c: replace(c, signed_at=c.signed_at + timedelta(seconds=1)),
    ],
    ids=["sequence", "head_hash", "signature", "signed_at"],
)
def test_a_forged_checkpoint_is_reported_and_not_trusted(five: Log, forge: object) -> None:
    forged = forge(checkpoint(five, 5))  # type: ignore[operator]
    report = verify_chain(five[:3], [forged])
    assert not report.ok
    assert report.first_bad_sequence is None  # a forged checkpoint proves nothing about records
    assert "bad signature" in report.problem


def test_a_checkpoint_by_an_unknown_key_is_reported_when_keys_are_given(five: Log) -> None:
    other = Ed25519PrivateKey.generate()
    foreign = sign_checkpoint(other, 5, five[4].hash, SIGNED_AT)
    assert verify_chain(five, [foreign]).ok
    report = verify_chain(five, [foreign], trusted_keys={public_key_hex(KEY)})
    assert not report.ok
    assert public_key_hex(other) in report.problem


def test_checkpoints_from_the_database_and_an_exported_file_may_overlap(five: Log) -> None:
    assert verify_chain(five, [checkpoint(five, 4), checkpoint(five, 4)]).ok


def test_canonical_bytes_are_sorted_compact_utf8_json_without_the_hash() -> None:
    at = datetime(2024, 5, 1, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    event = seal(
        None, at.astimezone(UTC), "chloé", "case.create", "case 7", 7, {"b": 1.5, "a": None}
    )
    assert (
        canonical_bytes(event)
        == (
            '{"action":"case.create","actor":"chloé","at":"2024-05-01T08:00:00.000000+00:00",'
            '"case_id":7,"details":{"a":null,"b":1.5},"object":"case 7",'
            f'"previous_hash":"{GENESIS_HASH}","sequence":1}}'
        ).encode()
    )
    assert event.hash == hashlib.sha256(canonical_bytes(event)).hexdigest()


def test_sealing_numbers_and_links_each_record_to_the_one_before(five: Log) -> None:
    assert [e.sequence for e in five] == [1, 2, 3, 4, 5]
    assert [e.previous_hash for e in five] == [GENESIS_HASH] + [e.hash for e in five[:-1]]


@pytest.mark.parametrize(
    "at",
    [datetime(2024, 5, 1), datetime(2024, 5, 1, tzinfo=timezone(timedelta(hours=1)))],
    ids=["naive", "not-utc"],
)
def test_sealing_refuses_a_time_that_is_not_utc(at: datetime) -> None:
    with pytest.raises(ValueError, match="UTC"):
        seal(None, at, "ana", "case.create", "case 1", 1, {})


@pytest.mark.parametrize(
    "value", [[1, 2], {"nested": 1}, float("nan")], ids=["list", "dict", "nan"]
)
def test_details_must_be_flat_finite_scalars(value: object) -> None:
    with pytest.raises(ValueError):
        seal(None, START, "ana", "case.create", "case 1", 1, {"bad": value})  # type: ignore[dict-item]


def test_a_record_whose_details_no_longer_encode_is_reported_as_changed(five: Log) -> None:
    events = list(five)
    events[1] = replace(events[1], details={"n": [2]})  # type: ignore[dict-item]
    assert_caught(events, [], 2)
