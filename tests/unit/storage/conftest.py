"""Fixtures for the store's unit tests: a fresh store on a real SQLite file in a temporary home,
one real password hash, and the officer and supervisor most tests need.

Plain helpers that build rows are in `factories.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import PASSWORD

from citywatch.storage import Store, open_store
from citywatch.types import User
from citywatch.users.passwords import hash_password


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One real scrypt hash of `PASSWORD`, shared by every test user (hashing is deliberately
    slow; the store takes it already hashed)."""
    return hash_password(PASSWORD)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def store(home: Path) -> Iterator[Store]:
    opened = open_store(home)
    yield opened
    opened.close()


@pytest.fixture
def olga(store: Store, password_hash: str) -> User:
    return store.users.add("olga", password_hash, ["officer"])


@pytest.fixture
def sam(store: Store, password_hash: str) -> User:
    return store.users.add("sam", password_hash, ["supervisor"])
