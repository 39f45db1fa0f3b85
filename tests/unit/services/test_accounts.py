"""Accounts through the real services (`build_services`) on real SQLite homes, with real scrypt.

scrypt is slow on purpose, so the users are made once: a template home holds the first admin
`ada` (bootstrapped), the officer `olga` (added by ada) and a live session of each, and every test
starts from a copy of it and resumes those sessions (a token costs no hash) unless it is testing
a password.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from citywatch.config import load_settings
from citywatch.errors import (
    AuthenticationError,
    ConflictError,
    InputError,
    PermissionDeniedError,
)
from citywatch.services import Services, build_services
from citywatch.services import accounts as accounts_module
from citywatch.types import AuditEvent

PASSWORD = "accounts-tests-2026"
NEW_PASSWORD = "a different one, 2026"


@dataclass(frozen=True)
class Template:
    home: Path
    ada_token: str
    olga_token: str


def _clear_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("CITYWATCH_"):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from the environment too: the shell's CITYWATCH_* must not leak in."""
    _clear_environment(monkeypatch)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    home = tmp_path_factory.mktemp("accounts") / "home"
    with pytest.MonkeyPatch.context() as monkeypatch:
        _clear_environment(monkeypatch)
        services = build_services(load_settings(home))
        try:
            services.bootstrap("ada", PASSWORD)
            services.add_user("olga", PASSWORD, ["officer"])
            _, ada_token = services.start_session("ada", PASSWORD)
            _, olga_token = services.start_session("olga", PASSWORD)
        finally:
            services.close()
    return Template(home, ada_token, olga_token)


@pytest.fixture
def home(tmp_path: Path, template: Template) -> Path:
    return Path(shutil.copytree(template.home, tmp_path / "home"))


@pytest.fixture
def services(home: Path) -> Iterator[Services]:
    built = build_services(load_settings(home))
    yield built
    built.close()


def _as(services: Services, token: str) -> Services:
    services.resume_session(token)
    return services


def _events(services: Services) -> list[AuditEvent]:
    return list(services.store.audit.events())


def _last(services: Services) -> AuditEvent:
    head = services.store.audit.head()
    assert head is not None
    return head


# -- the first admin -------------------------------------------------------------------------


def test_bootstrap_made_the_first_admin_and_recorded_it(services: Services) -> None:
    [ada, olga] = services.store.users.all()

    assert (ada.name, ada.roles, olga.name, olga.roles) == (
        "ada",
        frozenset({"admin"}),
        "olga",
        frozenset({"officer"}),
    )
    records = [(e.actor, e.action, e.object, e.details) for e in _events(services)]
    assert records[:2] == [
        ("ada", "user.bootstrap", "user:ada", {"roles": "admin"}),
        ("ada", "user.create", "user:olga", {"roles": "officer"}),
    ]
    assert [e.action for e in _events(services)[2:]] == ["session.start", "session.start"]
    assert services.store.audit.verify().ok


def test_bootstrap_works_only_once(services: Services) -> None:
    records = services.store.audit.count()

    with pytest.raises(ConflictError, match="users already exist: bootstrap only creates"):
        services.bootstrap("eve", PASSWORD)

    assert [u.name for u in services.store.users.all()] == ["ada", "olga"]
    assert services.store.audit.count() == records
    assert services.actor is None


def test_bootstrap_refuses_a_weak_password_and_creates_no_one(tmp_path: Path) -> None:
    services = build_services(load_settings(tmp_path / "new"))
    try:
        with pytest.raises(InputError, match="password for ada: too short"):
            services.bootstrap("ada", "short")

        assert services.store.users.count() == 0
        assert services.store.audit.count() == 0
    finally:
        services.close()


# -- logging in ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "password"), [("ada", "not the password"), ("ghost", PASSWORD)])
def test_failed_login_is_refused_and_recorded(services: Services, name: str, password: str) -> None:
    with pytest.raises(AuthenticationError) as caught:
        services.authenticate(name, password)

    # The same words whether the name exists or not: the message tells nobody which.
    assert str(caught.value) == (
        f"login failed for {name!r}: unknown user, wrong password or disabled account"
    )
    assert services.actor is None
    last = _last(services)
    assert (last.actor, last.action, last.object, last.case_id) == (
        name,
        "login.failed",
        f"user:{name}",
        None,
    )


def test_an_unknown_name_costs_the_same_password_check_as_a_known_one(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real = accounts_module.verify_password

    def counting(password: str, encoded: str) -> bool:
        checked.append(encoded)
        return real(password, encoded)

    monkeypatch.setattr(accounts_module, "verify_password", counting)

    with pytest.raises(AuthenticationError):
        services.authenticate("ghost", PASSWORD)

    assert checked == [accounts_module.UNUSABLE_HASH]


def test_disabled_user_cannot_log_in_and_their_sessions_end(
    services: Services, template: Template
) -> None:
    _as(services, template.ada_token).disable_user("olga")

    with pytest.raises(AuthenticationError, match="login failed for 'olga'"):
        services.authenticate("olga", PASSWORD)
    with pytest.raises(AuthenticationError, match="session has expired or was ended"):
        services.resume_session(template.olga_token)
    assert _last(services).action == "login.failed"
    disabled = [e for e in _events(services) if e.action == "user.disable"]
    assert [(e.actor, e.object) for e in disabled] == [("ada", "user:olga")]


def test_an_enabled_user_logs_in_again(services: Services, template: Template) -> None:
    admin = _as(services, template.ada_token)
    admin.disable_user("olga")
    admin.disable_user("olga", disabled=False)

    assert services.authenticate("olga", PASSWORD).name == "olga"
    assert services.actor is not None and services.actor.name == "olga"


def test_a_session_resumes_until_it_is_ended(services: Services, template: Template) -> None:
    assert services.resume_session(template.olga_token).name == "olga"

    services.end_session(template.olga_token)

    last = _last(services)
    assert (last.actor, last.action, last.object) == ("olga", "session.end", "user:olga")
    with pytest.raises(AuthenticationError, match="run 'citywatch login NAME' again"):
        services.resume_session(template.olga_token)
    assert services.resume_session(template.ada_token).name == "ada"  # other sessions stay


def test_a_session_lasts_session_hours(services: Services) -> None:
    starts = [e for e in _events(services) if e.action == "session.start"]
    rows = services.store.db.execute(
        "SELECT created_at, expires_at FROM sessions ORDER BY created_at"
    ).fetchall()

    assert [e.object for e in starts] == ["user:ada", "user:olga"]
    assert len(rows) == 2
    for row in rows:
        created = datetime.fromisoformat(row["created_at"])
        expires = datetime.fromisoformat(row["expires_at"])
        assert expires - created == pytest.approx(timedelta(hours=12), abs=timedelta(seconds=1))


def test_an_unknown_token_is_refused(services: Services) -> None:
    with pytest.raises(AuthenticationError, match="session has expired or was ended"):
        services.resume_session("not-a-token")

    assert services.actor is None


def test_changing_the_password_ends_sessions_and_the_new_one_works(
    services: Services, template: Template
) -> None:
    _as(services, template.olga_token).change_password(PASSWORD, NEW_PASSWORD)

    with pytest.raises(AuthenticationError, match="session has expired or was ended"):
        services.resume_session(template.olga_token)
    assert services.authenticate("olga", NEW_PASSWORD).name == "olga"
    assert [e.object for e in _events(services) if e.action == "user.password"] == ["user:olga"]


# -- managing users --------------------------------------------------------------------------


def test_an_admin_cannot_remove_their_own_admin_role(
    services: Services, template: Template
) -> None:
    admin = _as(services, template.ada_token)
    records = services.store.audit.count()

    with pytest.raises(ConflictError, match="cannot remove your own admin role"):
        admin.set_roles("ada", ["auditor"])

    assert services.store.users.get("ada").roles == frozenset({"admin"})
    assert services.store.audit.count() == records
    assert admin.set_roles("ada", ["auditor", "admin"]).roles == frozenset({"admin", "auditor"})
    last = _last(services)
    assert (last.action, last.object, last.details) == (
        "user.roles",
        "user:ada",
        {"roles": "admin,auditor"},
    )


def test_an_admin_replaces_another_users_roles(services: Services, template: Template) -> None:
    changed = _as(services, template.ada_token).set_roles("olga", ["reviewer"])

    assert changed.roles == frozenset({"reviewer"})
    assert services.store.users.get("olga").roles == frozenset({"reviewer"})


def test_an_admin_cannot_disable_themselves(services: Services, template: Template) -> None:
    admin = _as(services, template.ada_token)

    with pytest.raises(ConflictError, match="cannot disable your own account"):
        admin.disable_user("ada")

    assert not services.store.users.get("ada").disabled
    assert services.resume_session(template.ada_token).name == "ada"


@pytest.mark.parametrize(
    "attempt",
    [
        lambda s: s.add_user("eve", PASSWORD, ["admin"]),
        lambda s: s.set_roles("olga", ["admin"]),
        lambda s: s.disable_user("ada"),
        lambda s: s.users(),
    ],
    ids=["add", "roles", "disable", "list"],
)
def test_a_non_admin_cannot_manage_users(
    services: Services, template: Template, attempt: Callable[[Services], object]
) -> None:
    officer = _as(services, template.olga_token)
    before = [(u.name, u.roles, u.disabled) for u in services.store.users.all()]

    with pytest.raises(PermissionDeniedError, match="olga may not user.(manage|list)"):
        attempt(officer)

    assert [(u.name, u.roles, u.disabled) for u in services.store.users.all()] == before
    last = _last(services)
    assert (last.actor, last.action, last.object.startswith("user.")) == (
        "olga",
        "access.denied",
        True,
    )
    assert "olga has officer" in str(last.details["reason"])


def test_user_management_needs_a_logged_in_user(services: Services) -> None:
    with pytest.raises(AuthenticationError, match="not logged in"):
        services.add_user("eve", PASSWORD, ["officer"])

    assert services.store.users.find("eve") is None


def test_a_user_added_twice_is_a_conflict_and_nothing_is_recorded(
    services: Services, template: Template
) -> None:
    admin = _as(services, template.ada_token)
    records = services.store.audit.count()

    with pytest.raises(ConflictError, match="user 'olga' already exists"):
        admin.add_user("olga", NEW_PASSWORD, ["admin"])

    assert services.store.users.get("olga").roles == frozenset({"officer"})
    assert services.store.audit.count() == records  # the user.create record rolled back too
