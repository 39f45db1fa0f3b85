"""The audit log's tables: `audit_log` (append-only, enforced by triggers) and its checkpoints.

Records are written inside the caller's transaction, so an action and its record commit together
or not at all. Rows read back as they are stored, tampered or not: a value that no longer parses
is replaced by one that cannot match the record's hash, so verification reports the record as
changed instead of failing to read the log.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from citywatch.audit.chain import seal, verify_chain
from citywatch.audit.checkpoints import sign_checkpoint
from citywatch.audit.encoding import canonical_json, utc_text
from citywatch.errors import AuditError, StorageError
from citywatch.types import AuditEvent, AuditValue, ChainReport, Checkpoint

_UNREADABLE_AT = datetime.min.replace(tzinfo=UTC)


def _time(value: object) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return _UNREADABLE_AT
    return parsed


def _details(value: object) -> dict[str, AuditValue]:
    try:
        parsed = json.loads(str(value))
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        return {"unreadable_details": str(value)}
    return parsed


def _event(row: sqlite3.Row) -> AuditEvent:
    return AuditEvent(
        sequence=row["sequence"],
        at=_time(row["at"]),
        actor=row["actor"],
        action=row["action"],
        object=row["object"],
        case_id=row["case_id"],
        details=_details(row["details"]),
        previous_hash=row["previous_hash"],
        hash=row["hash"],
    )


def _checkpoint(row: sqlite3.Row) -> Checkpoint:
    return Checkpoint(
        sequence=row["sequence"],
        head_hash=row["head_hash"],
        signed_at=_time(row["signed_at"]),
        public_key=row["public_key"],
        signature=row["signature"],
    )


class AuditLog:
    """Expects a connection in autocommit mode (`isolation_level=None`) with `sqlite3.Row` rows;
    callers open `BEGIN IMMEDIATE` transactions around an action and its `append`."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def append(
        self,
        actor: str,
        action: str,
        object: str,
        case_id: int | None,
        details: Mapping[str, AuditValue] | None = None,
        at: datetime | None = None,
    ) -> AuditEvent:
        """Write the record of `action` inside the caller's open transaction.

        Two writers cannot fork the chain: `sequence` is the primary key, so the second insert of
        the same number fails and its action is refused.

        Raises:
            AuditError: no transaction is open, or the record cannot be written; the caller must
                roll back so that the action does not happen without its record (if
                `in_transaction` is still true: SQLite rolls back by itself on a full disk).
            ValueError: `details` is not flat, or `at` is not UTC (a programming error).
        """
        if not self.db.in_transaction:
            raise AuditError(
                f"the audit record for {action} must be written inside the transaction of the "
                "action it records; the action was refused"
            )
        try:
            event = seal(
                self._head(),
                at or datetime.now(UTC),
                actor,
                action,
                object,
                case_id,
                details or {},
            )
            self.db.execute(
                "INSERT INTO audit_log (sequence, at, actor, action, object, case_id, details, "
                "previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    event.sequence,
                    utc_text(event.at),
                    event.actor,
                    event.action,
                    event.object,
                    event.case_id,
                    canonical_json(event.details).decode("utf-8"),
                    event.previous_hash,
                    event.hash,
                ),
            )
        except sqlite3.Error as error:
            raise AuditError(
                f"cannot write the audit record for {action} ({error}); the action was refused"
            ) from None
        return event

    def _head(self) -> AuditEvent | None:
        row = self.db.execute("SELECT * FROM audit_log ORDER BY sequence DESC LIMIT 1").fetchone()
        return None if row is None else _event(row)

    def head(self) -> AuditEvent | None:
        """The newest record, or None for an empty log."""
        try:
            return self._head()
        except sqlite3.Error as error:
            raise StorageError(f"cannot read the audit log ({error})") from None

    def events(self, after: int = 0) -> Iterator[AuditEvent]:
        """Records with sequence > `after`, in order, streamed (the log may be long)."""
        try:
            cursor = self.db.execute(
                "SELECT * FROM audit_log WHERE sequence > ? ORDER BY sequence", (after,)
            )
            for row in cursor:
                yield _event(row)
        except sqlite3.Error as error:
            raise StorageError(f"cannot read the audit log ({error})") from None

    def count(self) -> int:
        try:
            count: int = self.db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        except sqlite3.Error as error:
            raise StorageError(f"cannot read the audit log ({error})") from None
        return count

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        """Keep `checkpoint`; storing the same one twice is harmless.

        Raises:
            AuditError: another checkpoint for the same record names a different head hash
                (the log was rewritten between the two signatures).
            StorageError: the checkpoint cannot be written.
        """
        values = (
            checkpoint.sequence,
            checkpoint.head_hash,
            utc_text(checkpoint.signed_at),
            checkpoint.public_key,
            checkpoint.signature,
        )
        try:
            self.db.execute(
                "INSERT OR IGNORE INTO audit_checkpoints VALUES (?, ?, ?, ?, ?)", values
            )
            row = self.db.execute(
                "SELECT head_hash FROM audit_checkpoints WHERE sequence = ?", (checkpoint.sequence,)
            ).fetchone()
        except sqlite3.Error as error:
            raise StorageError(
                f"cannot store the audit checkpoint for record {checkpoint.sequence} ({error})"
            ) from None
        if row is not None and row["head_hash"] != checkpoint.head_hash:
            raise AuditError(
                f"a checkpoint for record {checkpoint.sequence} already names head hash "
                f"{row['head_hash']}, not {checkpoint.head_hash}: the log was rewritten between "
                "the two; run the audit verification"
            )

    def checkpoints(self) -> list[Checkpoint]:
        return self._checkpoints("SELECT * FROM audit_checkpoints ORDER BY sequence")

    def last_checkpoint(self) -> Checkpoint | None:
        found = self._checkpoints("SELECT * FROM audit_checkpoints ORDER BY sequence DESC LIMIT 1")
        return found[0] if found else None

    def _checkpoints(self, query: str) -> list[Checkpoint]:
        try:
            return [_checkpoint(row) for row in self.db.execute(query)]
        except sqlite3.Error as error:
            raise StorageError(f"cannot read the audit checkpoints ({error})") from None

    def verify(
        self, exported: Iterable[Checkpoint] = (), trusted_keys: Iterable[str] = ()
    ) -> ChainReport:
        """Verify the stored log against the stored checkpoints and `exported` ones."""
        return verify_chain(
            self.events(), [*self.checkpoints(), *exported], trusted_keys=frozenset(trusted_keys)
        )

    def sign_head(self, key: Ed25519PrivateKey, at: datetime | None = None) -> Checkpoint | None:
        """Verify the log, then sign and keep a checkpoint of its head (None for an empty log).

        Verifying first matters: signing the head of a tampered log would vouch for the tampering.

        Raises:
            AuditError: the log does not verify; nothing is signed.
        """
        report = self.verify()
        if not report.ok:
            raise AuditError(f"the audit log was not checkpointed: {report.problem}")
        if report.records == 0:
            return None
        checkpoint = sign_checkpoint(
            key, report.head_sequence, report.head_hash, at or datetime.now(UTC)
        )
        self.add_checkpoint(checkpoint)
        return checkpoint
