"""`Store.transaction()`: one writer, re-entrant blocks that join the outer transaction, and the
`on_rollback` / `after_commit` hooks that keep media files and rows in step."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from citywatch.errors import StorageError
from citywatch.storage import Store, open_store
from citywatch.storage.sqlite import DB_NAME


@pytest.fixture
def reader(store: Store) -> Iterator[sqlite3.Connection]:
    """A second connection: it sees only what was committed."""
    connection = sqlite3.connect(store.home / DB_NAME)
    yield connection
    connection.close()


def _insert(db: sqlite3.Connection, name: str) -> None:
    db.execute(
        "INSERT INTO watchlists (name, min_similarity, created_at) VALUES (?, NULL, 'now')",
        (name,),
    )


def _names(db: sqlite3.Connection) -> list[str]:
    return [r[0] for r in db.execute("SELECT name FROM watchlists ORDER BY name")]


def test_a_committed_block_is_seen_by_other_connections(
    store: Store, reader: sqlite3.Connection
) -> None:
    with store.transaction() as db:
        _insert(db, "one")
        assert _names(reader) == []

    assert _names(reader) == ["one"]
    assert not store.db.in_transaction


def test_a_nested_block_joins_the_outer_transaction(
    store: Store, reader: sqlite3.Connection
) -> None:
    with store.transaction() as outer:
        with store.transaction() as inner:
            assert inner is outer
            _insert(inner, "inner")
        assert store.db.in_transaction  # the inner block's end committed nothing
        assert _names(reader) == []
        _insert(outer, "outer")

    assert _names(reader) == ["inner", "outer"]


def test_an_exception_in_the_outer_block_rolls_back_the_inner_writes(
    store: Store, reader: sqlite3.Connection
) -> None:
    with pytest.raises(RuntimeError, match="audit failed"), store.transaction() as outer:
        with store.transaction() as inner:
            _insert(inner, "inner")
        _insert(outer, "outer")
        raise RuntimeError("audit failed")

    assert _names(store.db) == [] and _names(reader) == []
    assert not store.db.in_transaction


def test_an_exception_in_the_inner_block_rolls_back_the_whole_transaction(
    store: Store,
) -> None:
    with pytest.raises(ValueError, match="bad row"), store.transaction() as outer:
        _insert(outer, "outer")
        with store.transaction():
            raise ValueError("bad row")

    assert _names(store.db) == []


def test_a_rollback_runs_the_hooks_of_every_level_newest_first(store: Store) -> None:
    ran: list[str] = []
    written = store.media / "alerts" / "crop.jpg"

    with pytest.raises(RuntimeError), store.transaction():
        written.parent.mkdir(parents=True)
        written.write_bytes(b"jpeg")
        store.on_rollback(lambda: written.unlink(missing_ok=True))
        store.on_rollback(lambda: ran.append("outer"))
        with store.transaction():
            store.on_rollback(lambda: ran.append("inner"))
            store.after_commit(lambda: ran.append("committed"))
        raise RuntimeError("abort")

    assert not written.exists()
    assert ran == ["inner", "outer"]


def test_after_commit_hooks_run_once_after_the_outermost_commit(
    store: Store, reader: sqlite3.Connection
) -> None:
    seen: list[list[str]] = []

    with store.transaction() as db:
        _insert(db, "one")
        with store.transaction():
            store.after_commit(lambda: seen.append(_names(reader)))
        assert seen == []  # not when the inner block ends

    assert seen == [["one"]]  # after the commit: the row is visible to others
    with store.transaction():
        pass
    assert seen == [["one"]]  # a later transaction does not run it again


def test_rollback_hooks_do_not_run_on_commit(store: Store) -> None:
    written = store.media / "photos" / "kept.jpg"

    with store.transaction() as db:
        written.parent.mkdir(parents=True)
        written.write_bytes(b"jpeg")
        store.on_rollback(lambda: written.unlink(missing_ok=True))
        _insert(db, "kept")

    assert written.is_file()
    with pytest.raises(RuntimeError), store.transaction():
        raise RuntimeError("a later, unrelated failure")
    assert written.is_file()  # the committed transaction's hook is gone


def test_hooks_need_an_open_transaction(store: Store) -> None:
    with pytest.raises(RuntimeError, match="on_rollback needs an open transaction"):
        store.on_rollback(lambda: None)
    with pytest.raises(RuntimeError, match="after_commit needs an open transaction"):
        store.after_commit(lambda: None)


def test_a_second_writer_is_refused_while_the_first_holds_the_lock(store: Store) -> None:
    other = open_store(store.home)
    other.db.execute("PRAGMA busy_timeout = 0")  # refuse at once instead of waiting 30 s
    try:
        with store.transaction() as db:
            _insert(db, "first")
            with (
                pytest.raises(StorageError, match="cannot write to .*database is locked"),
                other.transaction(),
            ):
                pass
        with other.transaction() as db:
            _insert(db, "second")
    finally:
        other.close()

    assert _names(store.db) == ["first", "second"]
