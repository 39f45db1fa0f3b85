"""Settings changed by admins through citywatch, so that every change is in the audit log."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from citywatch.config import Settings, changed_setting, file_values, render_toml
from citywatch.services.base import ServiceBase


class ConfigServices(ServiceBase):
    def effective_settings(self) -> Settings:
        self.require("settings.change")
        return self.settings

    def change_setting(self, key: str, value: str) -> tuple[Any, Any]:
        """Validate, write `<home>/config.toml`, record old and new value; (old, new)."""
        self.require("settings.change")
        updated = changed_setting(self.settings, key, value)
        old, new = asdict(self.settings)[key], asdict(updated)[key]
        path = self.settings.home / "config.toml"
        previous = path.read_text(encoding="utf-8") if path.is_file() else None
        values = {**file_values(self.settings.home), key: new}
        with self.audited("settings.change", f"setting:{key}", old=str(old), new=str(new)):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render_toml(values), encoding="utf-8")
            self.store.on_rollback(lambda: _restore(path, previous))
        self.settings = updated
        return old, new


def _restore(path: Any, previous: str | None) -> None:
    if previous is None:
        path.unlink(missing_ok=True)
    else:
        path.write_text(previous, encoding="utf-8")
