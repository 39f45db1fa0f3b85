"""The hash chain: sealing a new record onto the log, and verifying a whole log.

Each record's `hash` is SHA-256 over the canonical encoding of all its other fields, including
`previous_hash`, the hash of the record before it (`GENESIS_HASH` for record 1). Editing a record
breaks its own hash; re-hashing it breaks the next record's link; rewriting every record after it
breaks the signed checkpoints that vouch for the old head.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from citywatch.audit.checkpoints import checkpoint_valid
from citywatch.audit.encoding import canonical_json, is_utc, utc_text
from citywatch.types import AuditEvent, AuditValue, ChainReport, Checkpoint

GENESIS_HASH = "0" * 64
"""The `previous_hash` of record 1."""

_SCALARS = (str, int, float, bool, type(None))


def canonical_bytes(event: AuditEvent) -> bytes:
    """The bytes `event.hash` covers: canonical JSON of every field but `hash`.

    Keys are `action`, `actor`, `at`, `case_id`, `details`, `object`, `previous_hash`, `sequence`
    (sorted; see `citywatch.audit.encoding` for the exact form).

    Raises:
        ValueError: `at` has no time zone, or a details key is not a string or a value is not a
            flat finite scalar (str, int, float, bool or None).
    """
    for key, value in event.details.items():
        if not isinstance(key, str) or not isinstance(value, _SCALARS):
            raise ValueError(
                f"audit details must map text to str, int, float, bool or None; "
                f"got {key!r}: {type(value).__name__}"
            )
    return canonical_json(
        {
            "sequence": event.sequence,
            "at": utc_text(event.at),
            "actor": event.actor,
            "action": event.action,
            "object": event.object,
            "case_id": event.case_id,
            "details": event.details,
            "previous_hash": event.previous_hash,
        }
    )


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(canonical_bytes(event)).hexdigest()


def seal(
    previous: AuditEvent | None,
    at: datetime,
    actor: str,
    action: str,
    object: str,
    case_id: int | None,
    details: Mapping[str, AuditValue],
) -> AuditEvent:
    """The record that follows `previous` (None: the first record), with its hash.

    Raises:
        ValueError: `at` is not timezone-aware UTC, or `details` is not flat (see
            `canonical_bytes`).
    """
    if not is_utc(at):
        raise ValueError(f"audit time {at.isoformat()} is not timezone-aware UTC")
    unsealed = AuditEvent(
        sequence=1 if previous is None else previous.sequence + 1,
        at=at,
        actor=actor,
        action=action,
        object=object,
        case_id=case_id,
        details=dict(details),
        previous_hash=GENESIS_HASH if previous is None else previous.hash,
    )
    return replace(unsealed, hash=compute_hash(unsealed))


@dataclass(frozen=True, slots=True)
class _Finding:
    first_bad_sequence: int | None
    problem: str


def verify_chain(
    events: Iterable[AuditEvent],
    checkpoints: Sequence[Checkpoint],
    trusted_keys: Collection[str] = (),
) -> ChainReport:
    """Check a whole log against itself and against signed checkpoints, in one pass.

    `events` are in stored order (by sequence) and may be a stream; `checkpoints` may mix those
    kept in the database with ones exported elsewhere. With `trusted_keys` (hex public keys), a
    checkpoint signed by any other key counts as forged.

    `first_bad_sequence` is the lowest-numbered record the evidence no longer vouches for. Some
    evidence cannot say which of two records was touched, and then the earlier one is named: a
    broken link between records n-1 and n names n-1 (n-1 rewritten and re-hashed, or n's link
    edited), unless a checkpoint vouches for n-1; a record that disagrees with a checkpoint names
    the record after the last checkpoint that still agrees (anything in between may have been
    rewritten). A truncated log names the first record missing from its end. A forged checkpoint
    is not a record: it leaves `first_bad_sequence` None unless the records are bad too.
    """
    forged, by_sequence = _sort_checkpoints(checkpoints, frozenset(trusted_keys))
    finding: _Finding | None = None
    trusted_through = 0
    records, head_sequence, head_hash = 0, 0, GENESIS_HASH
    previous_hash = GENESIS_HASH
    for event in events:
        records += 1
        head_sequence, head_hash = event.sequence, event.hash
        if finding is not None:
            continue  # keep counting, so the report says how long the log is
        finding = _check_record(event, records, previous_hash, trusted_through)
        previous_hash = event.hash
        vouching = by_sequence.pop(records, [])
        for checkpoint in vouching:
            if finding is None and checkpoint.head_hash != event.hash:
                first = trusted_through + 1
                span = f"record {first}" if first == records else f"records {first} to {records}"
                finding = _Finding(
                    first,
                    f"record {records} differs from the checkpoint signed at "
                    f"{utc_text(checkpoint.signed_at)}: the log was rewritten, so {span} cannot "
                    "be trusted; restore them from a backup",
                )
        if finding is None and vouching:
            trusted_through = records
    if finding is None and by_sequence:
        finding = _leftover(by_sequence, records)
    if finding is None and forged:
        finding = _Finding(None, forged[0])
    elif finding is not None and forged:
        finding = _Finding(finding.first_bad_sequence, f"{finding.problem}. Also: {forged[0]}")
    return ChainReport(
        ok=finding is None,
        records=records,
        head_sequence=head_sequence,
        head_hash=head_hash,
        checkpoints=len(checkpoints),
        first_bad_sequence=None if finding is None else finding.first_bad_sequence,
        problem="" if finding is None else finding.problem,
    )


def _sort_checkpoints(
    checkpoints: Sequence[Checkpoint], trusted_keys: frozenset[str]
) -> tuple[list[str], dict[int, list[Checkpoint]]]:
    """(problems with forged or untrusted checkpoints, the good ones by sequence)."""
    forged: list[str] = []
    by_sequence: dict[int, list[Checkpoint]] = {}
    for checkpoint in checkpoints:
        if not checkpoint_valid(checkpoint):
            forged.append(
                f"the checkpoint for record {checkpoint.sequence} has a bad signature: it was "
                "forged or altered after signing; ignore it and keep the exported copies"
            )
        elif trusted_keys and checkpoint.public_key not in trusted_keys:
            forged.append(
                f"the checkpoint for record {checkpoint.sequence} is signed by the unknown key "
                f"{checkpoint.public_key}: someone signed it with a key of their own"
            )
        else:
            by_sequence.setdefault(checkpoint.sequence, []).append(checkpoint)
    return forged, by_sequence


def _check_record(
    event: AuditEvent, position: int, previous_hash: str, trusted_through: int
) -> _Finding | None:
    """The first thing wrong with the record at `position` (1-based), if anything."""
    try:
        intact = compute_hash(event) == event.hash
    except ValueError:
        intact = False
    if not intact:
        return _Finding(
            position, f"record {position} was changed: its hash does not match its content"
        )
    linked = event.previous_hash == previous_hash
    claimed = event.sequence
    where = f"after record {position - 1}" if position > 1 else "first"
    if claimed != position and linked:
        return _Finding(
            position, f"record {position} was renumbered: it carries the number {claimed}"
        )
    if claimed > position:
        missing = (
            f"record {position} is"
            if claimed == position + 1
            else (f"records {position} to {claimed - 1} are")
        )
        return _Finding(
            position,
            f"{missing} missing: record {claimed} comes {where}, so records were deleted or moved",
        )
    if claimed < position:
        # Right after a record with the same number, either copy may be the forgery.
        twin = claimed == position - 1 and claimed > trusted_through
        return _Finding(
            claimed if twin else position,
            f"record {claimed} appears again {where}: a record was inserted or copied",
        )
    if not linked:
        if position == 1:
            return _Finding(1, "record 1 does not start the chain: its previous_hash was changed")
        suspect = position - 1 if position - 1 > trusted_through else position
        return _Finding(
            suspect,
            f"record {position} does not link to record {position - 1}: record {position - 1} "
            f"was changed and re-hashed, or record {position}'s previous_hash was changed",
        )
    return None


def _leftover(by_sequence: dict[int, list[Checkpoint]], records: int) -> _Finding:
    """A valid checkpoint no record matched: past the end (truncation), or below record 1."""
    sequence = max(by_sequence)
    if sequence < 1:
        return _Finding(None, f"a checkpoint names record {min(by_sequence)}, which cannot exist")
    signed_at = utc_text(by_sequence[sequence][0].signed_at)
    return _Finding(
        records + 1,
        f"the log ends at record {records}, but the checkpoint signed at {signed_at} vouches "
        f"for {sequence} records: records {records + 1} to {sequence} were removed",
    )
