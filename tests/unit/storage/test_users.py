"""Users and sessions in the store, on a real SQLite file: names, roles, disabling, expiry.

Passwords arrive at the store already hashed; one real scrypt hash (`password_hash`, of
`PASSWORD`) serves every test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from factories import PASSWORD

from citywatch.errors import ConflictError, InputError, NotFoundError
from citywatch.storage import Store
from citywatch.types import User
from citywatch.users.passwords import verify_password
from citywatch.users.tokens import new_session_token


def _session(store: Store, user: User, hours: float = 1.0) -> str:
    """A new session of `user` lasting `hours`; returns its digest."""
    _, digest = new_session_token()
    store.users.add_session(user, digest, datetime.now(UTC) + timedelta(hours=hours))
    return digest


def _sessions(store: Store) -> int:
    return int(store.db.execute("SELECT count(*) FROM sessions").fetchone()[0])


# -- adding and reading ----------------------------------------------------------------------


def test_added_user_reads_back_with_sorted_roles(store: Store, password_hash: str) -> None:
    before = datetime.now(UTC)

    added = store.users.add("  a.ivanova ", password_hash, ["reviewer", "officer", "officer"])

    assert added.name == "a.ivanova"  # surrounding spaces are dropped
    assert added.roles == frozenset({"officer", "reviewer"})
    assert not added.disabled
    assert before <= added.created_at <= datetime.now(UTC)
    assert store.users.get("a.ivanova") == added
    assert store.users.find("a.ivanova") == added
    assert store.users.all() == [added]
    assert store.users.count() == 1
    stored = store.db.execute("SELECT roles, password_hash FROM users").fetchone()
    assert stored["roles"] == '["officer", "reviewer"]'
    assert verify_password(PASSWORD, stored["password_hash"])


def test_users_are_listed_by_name(store: Store, password_hash: str) -> None:
    for name in ("zoe", "ada", "max"):
        store.users.add(name, password_hash, ["auditor"])

    assert [u.name for u in store.users.all()] == ["ada", "max", "zoe"]


def test_unknown_user_is_not_found_by_name(store: Store) -> None:
    with pytest.raises(NotFoundError, match="no user named 'ghost'"):
        store.users.get("ghost")

    assert store.users.find("ghost") is None
    assert store.users.password_hash("ghost") is None


def test_duplicate_user_is_a_conflict_and_keeps_the_first(
    store: Store, olga: User, password_hash: str
) -> None:
    with pytest.raises(ConflictError, match="user 'olga' already exists"):
        store.users.add("olga", password_hash, ["admin"])

    assert store.users.all() == [olga]


@pytest.mark.parametrize(
    "name", ["", "   ", "two words", "tab\there", "a:b", "a/b", "x" * 65], ids=repr
)
def test_unusable_user_name_is_refused_naming_it(
    store: Store, password_hash: str, name: str
) -> None:
    with pytest.raises(InputError, match="is not usable; expected 1-64 characters") as caught:
        store.users.add(name, password_hash, ["officer"])

    assert repr(name.strip()) in str(caught.value)
    assert store.users.count() == 0


def test_longest_allowed_name_is_accepted(store: Store, password_hash: str) -> None:
    assert store.users.add("x" * 64, password_hash, ["officer"]).name == "x" * 64


@pytest.mark.parametrize(
    ("roles", "named"),
    [(["officer", "janitor"], "janitor"), (["Admin"], "Admin"), ([], "(none)")],
)
def test_unknown_or_missing_roles_are_refused(
    store: Store, password_hash: str, roles: list[str], named: str
) -> None:
    with pytest.raises(InputError, match="expected one or more of admin, officer") as caught:
        store.users.add("olga", password_hash, roles)

    assert f"role(s) {named} not known" in str(caught.value)
    assert store.users.count() == 0


# -- changing users --------------------------------------------------------------------------


def test_setting_roles_replaces_them(store: Store, olga: User) -> None:
    changed = store.users.set_roles("olga", ["supervisor", "reviewer"])

    assert changed.roles == frozenset({"reviewer", "supervisor"})
    assert store.users.get("olga").roles == frozenset({"reviewer", "supervisor"})


def test_setting_unknown_roles_changes_nothing(store: Store, olga: User) -> None:
    with pytest.raises(InputError, match="janitor"):
        store.users.set_roles("olga", ["janitor"])

    assert store.users.get("olga").roles == frozenset({"officer"})


def test_changing_an_unknown_user_is_not_found(store: Store, password_hash: str) -> None:
    with pytest.raises(NotFoundError, match="'ghost'"):
        store.users.set_roles("ghost", ["officer"])
    with pytest.raises(NotFoundError, match="'ghost'"):
        store.users.set_disabled("ghost", True)
    with pytest.raises(NotFoundError, match="'ghost'"):
        store.users.set_password("ghost", password_hash)


def test_disabling_a_user_ends_their_sessions_only(
    store: Store, olga: User, password_hash: str
) -> None:
    sam = store.users.add("sam", password_hash, ["supervisor"])
    olga_session = _session(store, olga)
    sam_session = _session(store, sam)

    disabled = store.users.set_disabled("olga", True)

    assert disabled.disabled and not disabled.has("officer")
    assert store.users.session_user(olga_session, datetime.now(UTC)) is None
    assert store.users.session_user(sam_session, datetime.now(UTC)) == sam
    assert _sessions(store) == 1


def test_enabling_a_user_again_restores_their_roles(store: Store, olga: User) -> None:
    store.users.set_disabled("olga", True)

    enabled = store.users.set_disabled("olga", False)

    assert not enabled.disabled and enabled.has("officer")


def test_password_change_stores_the_new_hash_and_ends_sessions(
    store: Store, olga: User, password_hash: str
) -> None:
    session = _session(store, olga)
    new_hash = "scrypt$32768$8$1$" + password_hash.split("$", 4)[4][::-1]  # opaque to the store

    store.users.set_password("olga", new_hash)

    assert store.users.password_hash("olga") == new_hash
    assert store.users.session_user(session, datetime.now(UTC)) is None
    assert _sessions(store) == 0


# -- sessions --------------------------------------------------------------------------------


def test_session_finds_its_user_until_it_expires(store: Store, olga: User) -> None:
    _, digest = new_session_token()
    expires_at = datetime.now(UTC) + timedelta(hours=2)

    store.users.add_session(olga, digest, expires_at)

    assert store.users.session_user(digest, datetime.now(UTC)) == olga
    assert store.users.session_user(digest, expires_at - timedelta(microseconds=1)) == olga
    assert store.users.session_user(digest, expires_at) is None
    assert store.users.session_user("0" * 64, datetime.now(UTC)) is None


def test_session_expiry_is_compared_in_utc(store: Store, olga: User) -> None:
    _, digest = new_session_token()
    expires_at = datetime.now(UTC) + timedelta(hours=1)
    store.users.add_session(olga, digest, expires_at)
    tokyo = expires_at.astimezone(timezone(timedelta(hours=9)))

    assert store.users.session_user(digest, tokyo - timedelta(seconds=1)) == olga
    assert store.users.session_user(digest, tokyo) is None


def test_a_new_session_clears_expired_ones(store: Store, olga: User) -> None:
    expired = _session(store, olga, hours=-1)
    assert _sessions(store) == 1

    live = _session(store, olga)

    assert _sessions(store) == 1
    assert store.users.session_user(expired, datetime.now(UTC) - timedelta(hours=2)) is None
    assert store.users.session_user(live, datetime.now(UTC)) == olga


def test_ended_session_is_gone_and_others_stay(store: Store, olga: User) -> None:
    first = _session(store, olga)
    second = _session(store, olga)

    store.users.end_session(first)

    assert store.users.session_user(first, datetime.now(UTC)) is None
    assert store.users.session_user(second, datetime.now(UTC)) == olga


def test_a_session_ends_with_its_user(store: Store, olga: User) -> None:
    session = _session(store, olga)

    with store.transaction() as db:
        db.execute("DELETE FROM users WHERE id = ?", (olga.id,))

    assert store.users.session_user(session, datetime.now(UTC)) is None
    assert _sessions(store) == 0
