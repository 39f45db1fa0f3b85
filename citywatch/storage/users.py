"""Users, their roles and their login sessions. Passwords arrive here already hashed."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime

from citywatch.errors import ConflictError, InputError, NotFoundError
from citywatch.storage.media import utc_text
from citywatch.storage.table import Table
from citywatch.types import ROLES, User


def _roles(roles: Iterable[str]) -> str:
    chosen = sorted(set(roles))
    unknown = [role for role in chosen if role not in ROLES]
    if unknown or not chosen:
        raise InputError(
            f"role(s) {', '.join(unknown) or '(none)'} not known; expected one or more of "
            f"{', '.join(ROLES)}"
        )
    return json.dumps(chosen)


class UserRegistry(Table):
    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM users").fetchone()[0])

    def add(self, name: str, password_hash: str, roles: Iterable[str]) -> User:
        name = name.strip()
        if not name or len(name) > 64 or any(c.isspace() or c in ":/" for c in name):
            raise InputError(
                f"user name {name!r} is not usable; expected 1-64 characters without spaces, "
                "':' or '/', e.g. 'a.ivanova'"
            )
        encoded = _roles(roles)
        try:
            with self.transaction() as db:
                db.execute(
                    "INSERT INTO users (name, password_hash, roles, created_at) "
                    "VALUES (?, ?, ?, ?)",
                    (name, password_hash, encoded, datetime.now(UTC).isoformat()),
                )
        except sqlite3.IntegrityError:
            raise ConflictError(f"user {name!r} already exists") from None
        return self.get(name)

    def get(self, name: str) -> User:
        row = self.db.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFoundError(f"no user named {name!r}; see 'citywatch user list'")
        return _user(row)

    def find(self, name: str) -> User | None:
        row = self.db.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        return None if row is None else _user(row)

    def all(self) -> list[User]:
        return [_user(r) for r in self.db.execute("SELECT * FROM users ORDER BY name")]

    def password_hash(self, name: str) -> str | None:
        row = self.db.execute("SELECT password_hash FROM users WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def set_password(self, name: str, password_hash: str) -> None:
        with self.transaction() as db:
            if not db.execute(
                "UPDATE users SET password_hash = ? WHERE name = ?", (password_hash, name)
            ).rowcount:
                raise NotFoundError(f"no user named {name!r}")
            db.execute(
                "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?)",
                (name,),
            )

    def set_roles(self, name: str, roles: Iterable[str]) -> User:
        encoded = _roles(roles)
        with self.transaction() as db:
            if not db.execute(
                "UPDATE users SET roles = ? WHERE name = ?", (encoded, name)
            ).rowcount:
                raise NotFoundError(f"no user named {name!r}")
        return self.get(name)

    def set_disabled(self, name: str, disabled: bool) -> User:
        with self.transaction() as db:
            if not db.execute(
                "UPDATE users SET disabled = ? WHERE name = ?", (int(disabled), name)
            ).rowcount:
                raise NotFoundError(f"no user named {name!r}")
            if disabled:
                db.execute(
                    "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?)",
                    (name,),
                )
        return self.get(name)

    # -- sessions ------------------------------------------------------------------------------
    def add_session(self, user: User, token_sha256: str, expires_at: datetime) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM sessions WHERE expires_at <= ?", (utc_text(datetime.now(UTC)),))
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?)",
                (token_sha256, user.id, utc_text(datetime.now(UTC)), utc_text(expires_at)),
            )

    def session_user(self, token_sha256: str, at: datetime) -> User | None:
        row = self.db.execute(
            "SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id "
            "WHERE s.token_sha256 = ? AND s.expires_at > ?",
            (token_sha256, utc_text(at)),
        ).fetchone()
        return None if row is None else _user(row)

    def end_session(self, token_sha256: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM sessions WHERE token_sha256 = ?", (token_sha256,))


def _user(row: sqlite3.Row) -> User:
    return User(
        id=row["id"],
        name=row["name"],
        roles=frozenset(json.loads(row["roles"])),
        created_at=datetime.fromisoformat(row["created_at"]),
        disabled=bool(row["disabled"]),
    )
