"""The audit log on a real SQLite file: chained appends, append-only table, refused actions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from citywatch.audit import (
    GENESIS_HASH,
    checkpoint_valid,
    compute_hash,
    public_key_hex,
    sign_checkpoint,
)
from citywatch.errors import AuditError
from citywatch.storage.audit import AuditLog
from citywatch.storage.migrate import migrate

AT = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def connect(path: Path, uri: bool = False) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, uri=uri)
    connection.row_factory = sqlite3.Row
    return connection


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "citywatch.db"


@pytest.fixture
def db(path: Path) -> Iterator[sqlite3.Connection]:
    connection = connect(path)
    migrate(connection)
    yield connection
    connection.close()


@pytest.fixture
def log(db: sqlite3.Connection) -> AuditLog:
    return AuditLog(db)


def append(log: AuditLog, action: str = "case.create", **details: str | int) -> None:
    log.db.execute("BEGIN IMMEDIATE")
    log.append("ana", action, "case 7", 7, details, at=AT)
    log.db.execute("COMMIT")


def add_user(db: sqlite3.Connection, name: str) -> None:
    db.execute(
        "INSERT INTO users (name, password_hash, roles, created_at) VALUES (?, 'x', '[]', ?)",
        (name, AT.isoformat()),
    )


def test_appends_form_a_chain_that_reads_back_and_verifies(log: AuditLog) -> None:
    assert (log.head(), log.count(), list(log.events())) == (None, 0, [])
    for number in range(3):
        append(log, reason="warrant 1", number=number)
    events = list(log.events())
    assert [e.sequence for e in events] == [1, 2, 3]
    assert [e.previous_hash for e in events] == [GENESIS_HASH, events[0].hash, events[1].hash]
    assert all(compute_hash(e) == e.hash for e in events)
    assert events[2].details == {"reason": "warrant 1", "number": 2}
    assert (events[0].at, events[0].actor, events[0].case_id) == (AT, "ana", 7)
    assert log.head() == events[2]
    assert log.count() == 3
    assert [e.sequence for e in log.events(after=1)] == [2, 3]
    assert log.verify().ok


def test_append_without_an_open_transaction_is_refused(log: AuditLog) -> None:
    with pytest.raises(AuditError, match="inside the transaction .* the action was refused"):
        log.append("ana", "case.create", "case 7", 7, {})
    assert log.count() == 0


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log WHERE sequence = 1"],
    ids=["update", "delete"],
)
def test_the_table_refuses_to_change_or_forget_a_record(log: AuditLog, statement: str) -> None:
    append(log)
    before = list(log.events())
    with pytest.raises(sqlite3.IntegrityError, match="the audit log is append-only"):
        log.db.execute(statement)
    assert list(log.events()) == before


def test_a_full_disk_refuses_the_action_together_with_its_record(log: AuditLog) -> None:
    append(log)
    log.db.execute("BEGIN IMMEDIATE")
    add_user(log.db, "ben")  # the action, written before its record
    pages = log.db.execute("PRAGMA page_count").fetchone()[0]
    log.db.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(AuditError) as raised:
        log.append("admin", "user.create", "user ben", None, {"note": "x" * 20_000})
    if log.db.in_transaction:  # SQLite may already have rolled back on SQLITE_FULL
        log.db.execute("ROLLBACK")
    assert str(raised.value).startswith("cannot write the audit record for user.create (")
    assert str(raised.value).endswith("); the action was refused")
    assert "full" in str(raised.value)
    assert log.db.execute("SELECT count(*) FROM users").fetchone()[0] == 0
    assert log.count() == 1


def test_a_read_only_database_refuses_the_record(log: AuditLog, path: Path) -> None:
    append(log)
    reader = connect(Path(f"file:{path}?mode=ro"), uri=True)
    try:
        reader.execute("BEGIN")
        with pytest.raises(AuditError, match="readonly database.*the action was refused"):
            AuditLog(reader).append("admin", "case.close", "case 7", 7, {})
        reader.execute("ROLLBACK")
    finally:
        reader.close()
    assert log.count() == 1


def test_an_action_and_its_record_commit_together(log: AuditLog) -> None:
    log.db.execute("BEGIN IMMEDIATE")
    add_user(log.db, "ben")
    log.append("admin", "user.create", "user ben", None, {})
    log.db.execute("COMMIT")
    assert log.db.execute("SELECT count(*) FROM users").fetchone()[0] == 1
    assert log.count() == 1


def test_a_record_edited_behind_citywatchs_back_is_caught(log: AuditLog) -> None:
    for _ in range(3):
        append(log)
    log.db.execute("DROP TRIGGER audit_log_is_append_only_update")
    log.db.execute('UPDATE audit_log SET details = \'{"reason":"none"}\' WHERE sequence = 2')
    report = log.verify()
    assert (report.ok, report.first_bad_sequence) == (False, 2)
    assert report.problem == "record 2 was changed: its hash does not match its content"


@pytest.mark.parametrize(
    ("column", "value"), [("details", "[1, 2"), ("details", "[1]"), ("at", "last tuesday")]
)
def test_an_unreadable_value_reads_back_as_a_changed_record(
    log: AuditLog, column: str, value: str
) -> None:
    append(log)
    log.db.execute("DROP TRIGGER audit_log_is_append_only_update")
    log.db.execute(f"UPDATE audit_log SET {column} = ?", (value,))
    report = log.verify()
    assert (report.ok, report.first_bad_sequence) == (False, 1)


def test_signing_the_head_keeps_a_checkpoint_that_later_catches_truncation(log: AuditLog) -> None:
    assert log.sign_head(KEY, at=AT) is None  # an empty log has nothing to vouch for
    for _ in range(3):
        append(log)
    signed = log.sign_head(KEY, at=AT + timedelta(hours=1))
    assert signed is not None
    assert (signed.sequence, signed.head_hash) == (3, log.head().hash)  # type: ignore[union-attr]
    assert checkpoint_valid(signed)
    assert log.checkpoints() == [signed]
    assert log.last_checkpoint() == signed
    assert log.verify(trusted_keys=[public_key_hex(KEY)]).ok
    log.db.execute("DROP TRIGGER audit_log_is_append_only_delete")
    log.db.execute("DELETE FROM audit_log WHERE sequence = 3")
    assert log.verify().first_bad_sequence == 3
    with pytest.raises(AuditError, match="not checkpointed: the log ends at record 2"):
        log.sign_head(KEY)


def test_storing_the_same_checkpoint_twice_is_harmless(log: AuditLog) -> None:
    append(log)
    signed = log.sign_head(KEY, at=AT)
    assert signed is not None
    log.add_checkpoint(signed)
    assert log.checkpoints() == [signed]


def test_a_conflicting_checkpoint_for_the_same_record_is_refused(log: AuditLog) -> None:
    append(log)
    signed = log.sign_head(KEY, at=AT)
    assert signed is not None
    other = Ed25519PrivateKey.generate()
    with pytest.raises(AuditError, match="already names head hash"):
        log.add_checkpoint(sign_checkpoint(other, 1, "cd" * 32, AT))
    assert log.checkpoints() == [signed]
