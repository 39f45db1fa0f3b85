"""Users: the first admin, logins and sessions, and user management by admins."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from citywatch.errors import AuthenticationError, ConflictError, StorageError
from citywatch.services.base import ServiceBase
from citywatch.types import User
from citywatch.users.passwords import check_new_password, hash_password, verify_password
from citywatch.users.tokens import new_session_token, token_digest

LOGIN_FAILED = "login failed for {name!r}: unknown user, wrong password or disabled account"
UNUSABLE_HASH = (
    "scrypt$32768$8$1$EzOlLt3rKoFeLqOE7RhNsw==$NLOKvEHg/9Z7zaeyIqiluFiWpt1oWyIHDEWdDew8mSg="
)
"""The hash of a random password nobody kept: checked when the user is unknown, so that a failed
login costs the same scrypt work whether or not the name exists (no user enumeration by timing)."""


class AccountServices(ServiceBase):
    def bootstrap(self, name: str, password: str) -> User:
        """Create the first admin of a new installation; refused once any user exists."""
        check_new_password(password, name)
        with self.store.transaction():
            if self.store.users.count():
                raise ConflictError(
                    "users already exist: bootstrap only creates the first admin; ask an admin "
                    "to run 'citywatch user add'"
                )
            user = self.store.users.add(name, hash_password(password), ["admin"])
            self.store.audit.append(
                name, "user.bootstrap", f"user:{name}", None, {"roles": "admin"}
            )
        self.actor = user
        return user

    def authenticate(self, name: str, password: str) -> User:
        """Check a password; the user acts from now on. Failures are audited."""
        user = self.store.users.find(name)
        stored = self.store.users.password_hash(name)
        matches = verify_password(password, stored or UNUSABLE_HASH)
        if user is None or stored is None or user.disabled or not matches:
            self._record_failed_login(name)
            raise AuthenticationError(LOGIN_FAILED.format(name=name))
        self.actor = user
        return user

    def start_session(self, name: str, password: str) -> tuple[User, str]:
        """Log in for `session_hours`; returns the user and the token their client keeps."""
        user = self.authenticate(name, password)
        token, digest = new_session_token()
        expires_at = self.now() + timedelta(hours=self.settings.session_hours)
        with self.audited("session.start", f"user:{name}", expires_at=expires_at.isoformat()):
            self.store.users.add_session(user, digest, expires_at)
        return user, token

    def resume_session(self, token: str) -> User:
        user = self.store.users.session_user(token_digest(token), self.now())
        if user is None or user.disabled:
            raise AuthenticationError(
                "your session has expired or was ended; run 'citywatch login NAME' again"
            )
        self.actor = user
        return user

    def end_session(self, token: str) -> None:
        user = self.user()
        with self.audited("session.end", f"user:{user.name}"):
            self.store.users.end_session(token_digest(token))

    def _record_failed_login(self, name: str) -> None:
        try:
            with self.store.transaction():
                self.store.audit.append(name, "login.failed", f"user:{name}", None, {})
        except StorageError:
            pass  # refusing the login does not depend on recording it

    # -- user management (admins) ---------------------------------------------------------------
    def add_user(self, name: str, password: str, roles: Iterable[str]) -> User:
        self.require("user.manage")
        check_new_password(password, name)
        chosen = sorted(set(roles))
        with self.audited("user.create", f"user:{name}", roles=",".join(chosen)):
            return self.store.users.add(name, hash_password(password), chosen)

    def users(self) -> list[User]:
        self.require("user.list")
        return self.store.users.all()

    def set_roles(self, name: str, roles: Iterable[str]) -> User:
        admin = self.require("user.manage")
        chosen = sorted(set(roles))
        if name == admin.name and "admin" not in chosen:
            raise ConflictError("you cannot remove your own admin role; ask another admin")
        with self.audited("user.roles", f"user:{name}", roles=",".join(chosen)):
            return self.store.users.set_roles(name, chosen)

    def disable_user(self, name: str, disabled: bool = True) -> User:
        admin = self.require("user.manage")
        if name == admin.name and disabled:
            raise ConflictError("you cannot disable your own account; ask another admin")
        action = "user.disable" if disabled else "user.enable"
        with self.audited(action, f"user:{name}"):
            return self.store.users.set_disabled(name, disabled)

    def change_password(self, old: str, new: str) -> None:
        """A user changes their own password (all their sessions end)."""
        user = self.user()
        stored = self.store.users.password_hash(user.name)
        if stored is None or not verify_password(old, stored):
            self._record_failed_login(user.name)
            raise AuthenticationError(LOGIN_FAILED.format(name=user.name))
        check_new_password(new, user.name)
        with self.audited("user.password", f"user:{user.name}"):
            self.store.users.set_password(user.name, hash_password(new))
