"""Numbered SQL migrations in `storage/migrations/NNN_name.sql`, applied in order, once each."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from importlib import resources

from citywatch.errors import StorageError


def migration_scripts() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every migration shipped with the package, in order."""
    folder = resources.files("citywatch.storage") / "migrations"
    scripts = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            scripts.append((version, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(scripts)


def migrate(connection: sqlite3.Connection) -> list[int]:
    """Bring the schema up to date; returns the versions applied now."""
    connection.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in connection.execute("SELECT version FROM schema_migrations")}
    known = migration_scripts()
    newest = max((v for v, _, _ in known), default=0)
    if done and max(done) > newest:
        raise StorageError(
            f"the database is at schema version {max(done)}, newer than this citywatch "
            f"(knows up to {newest}); upgrade citywatch"
        )
    applied = []
    for version, name, sql in known:
        if version in done:
            continue
        try:
            connection.execute("BEGIN IMMEDIATE")
            for statement in _statements(sql):
                connection.execute(statement)
            connection.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                (version, name, datetime.now(UTC).isoformat()),
            )
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            connection.execute("ROLLBACK")
            raise StorageError(f"migration {name} failed: {error}") from None
        applied.append(version)
    return applied


def _statements(sql: str) -> list[str]:
    """Split a script into complete statements (a trigger's body holds semicolons of its own)."""
    statements, pending = [], ""
    for line in sql.splitlines():
        pending += line.split("--", 1)[0] + "\n"
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        statements.append(pending.strip())
    return statements
