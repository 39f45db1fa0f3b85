"""Settings (admins): read the effective ones, change one (validated, written, audited)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from citywatch.api.deps import UserServices
from citywatch.api.schemas.admin import SettingChanged, SettingsPublic, SettingUpdate

router = APIRouter(prefix="/settings", tags=["settings"])


@router.get("")
def show_settings(services: UserServices) -> SettingsPublic:
    return SettingsPublic.of(services.effective_settings())


@router.put("/{key}")
def change_setting(
    key: str, body: SettingUpdate, request: Request, services: UserServices
) -> SettingChanged:
    value = body.value if isinstance(body.value, str) else str(body.value).lower()
    old, new = services.change_setting(key, value)  # a bad value: ConfigError, 422
    # Every request builds its services from the app's settings: without this the change would
    # only show after a restart.
    request.app.state.settings = services.settings
    return SettingChanged(setting=key, old=old, new=new)
