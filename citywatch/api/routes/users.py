"""Users and their roles (admins; auditors may list them). Passwords never come back out."""

from __future__ import annotations

from fastapi import APIRouter

from citywatch.api.deps import UserServices
from citywatch.api.schemas import UserPublic
from citywatch.api.schemas.admin import RolesUpdate, UserCreate, UsersPublic

router = APIRouter(prefix="/users", tags=["users"])


@router.get("")
def list_users(services: UserServices) -> UsersPublic:
    users = [UserPublic.of(u) for u in services.users()]
    return UsersPublic(data=users, count=len(users))


@router.post("", status_code=201)
def add_user(body: UserCreate, services: UserServices) -> UserPublic:
    return UserPublic.of(services.add_user(body.name, body.password, body.roles))


@router.put("/{name}/roles")
def set_roles(name: str, body: RolesUpdate, services: UserServices) -> UserPublic:
    return UserPublic.of(services.set_roles(name, body.roles))


@router.post("/{name}/disable")
def disable_user(name: str, services: UserServices) -> UserPublic:
    """Disable `name`: their sessions end at once."""
    return UserPublic.of(services.disable_user(name))


@router.post("/{name}/enable")
def enable_user(name: str, services: UserServices) -> UserPublic:
    return UserPublic.of(services.disable_user(name, disabled=False))
