"""Settings changed through citywatch: validated, written to config.toml, audited; never half."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from citywatch.config import load_settings
from citywatch.errors import AuditError, ConfigError, PermissionDeniedError
from citywatch.services import Services, build_services

PASSWORD = "settings-tests-2026"


@pytest.fixture
def admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Services:
    for name in list(os.environ):
        if name.startswith("CITYWATCH_"):
            monkeypatch.delenv(name)
    services = build_services(load_settings(tmp_path / "home"))
    services.bootstrap("ada", PASSWORD)
    return services


def test_a_change_is_written_applied_and_audited_with_old_and_new(admin: Services) -> None:
    assert admin.change_setting("alert_cooldown_s", "12") == (30.0, 12.0)

    assert load_settings(admin.settings.home).alert_cooldown_s == 12.0
    assert admin.settings.alert_cooldown_s == 12.0
    head = admin.store.audit.head()
    assert head is not None
    assert (head.actor, head.action, head.object) == (
        "ada",
        "settings.change",
        "setting:alert_cooldown_s",
    )
    assert head.details == {"old": "30.0", "new": "12.0"}


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("shots_per_track", "2.5", "expected a int"),
        ("nonsense", "1", "unknown setting 'nonsense'"),
        ("rtsp_transport", "carrier-pigeon", "rtsp_transport must be 'tcp' or 'udp'"),
        ("home", "/elsewhere", "choose it with --home"),
    ],
)
def test_a_bad_value_is_refused_and_nothing_changes(
    admin: Services, key: str, value: str, message: str
) -> None:
    records = admin.store.audit.count()
    with pytest.raises(ConfigError, match=message):
        admin.change_setting(key, value)

    assert not (admin.settings.home / "config.toml").exists()
    assert admin.store.audit.count() == records


def test_only_admins_change_settings(admin: Services) -> None:
    admin.add_user("olga", PASSWORD, ["officer"])
    admin.authenticate("olga", PASSWORD)

    with pytest.raises(PermissionDeniedError):
        admin.change_setting("alert_cooldown_s", "1")
    assert not (admin.settings.home / "config.toml").exists()


def test_when_the_audit_record_cannot_be_written_the_file_is_put_back(admin: Services) -> None:
    admin.change_setting("alert_cooldown_s", "12")
    before = (admin.settings.home / "config.toml").read_text()
    admin.store.db.execute(
        "CREATE TRIGGER full_disk BEFORE INSERT ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
    )

    with pytest.raises(AuditError):
        admin.change_setting("alert_cooldown_s", "5")

    assert (admin.settings.home / "config.toml").read_text() == before
    assert load_settings(admin.settings.home).alert_cooldown_s == 12.0
