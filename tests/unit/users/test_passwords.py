"""Password hashes, the rules for a new password, and session tokens (the other secret we keep)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable

import pytest

from citywatch.errors import InputError
from citywatch.users.passwords import check_new_password, hash_password, verify_password
from citywatch.users.tokens import new_session_token, token_digest

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def encoded() -> str:
    return hash_password(PASSWORD)


def test_hash_is_self_describing_scrypt(encoded: str) -> None:
    scheme, cost, block_size, parallelism, salt, digest = encoded.split("$")
    assert (scheme, cost, block_size, parallelism) == ("scrypt", "32768", "8", "1")
    assert len(base64.b64decode(salt, validate=True)) == 16
    assert len(base64.b64decode(digest, validate=True)) == 32


def test_hash_is_scrypt_of_the_password_with_its_salt(encoded: str) -> None:
    salt = base64.b64decode(encoded.split("$")[4])
    expected = hashlib.scrypt(
        PASSWORD.encode(), salt=salt, n=2**15, r=8, p=1, maxmem=2**26, dklen=32
    )
    assert base64.b64decode(encoded.split("$")[5]) == expected


def test_password_verifies_against_its_own_hash(encoded: str) -> None:
    assert verify_password(PASSWORD, encoded)


@pytest.mark.parametrize(
    "attempt",
    ["correct horse battery stapl", "Correct horse battery staple", "", PASSWORD + " "],
)
def test_other_password_does_not_verify(encoded: str, attempt: str) -> None:
    assert not verify_password(attempt, encoded)


def test_composed_and_decomposed_accents_are_the_same_password() -> None:
    composed, decomposed = "caf\u00e9 au lait, merci", "cafe\u0301 au lait, merci"
    assert verify_password(decomposed, hash_password(composed))


def test_same_password_gets_a_different_salt_each_time() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.split("$")[4] != second.split("$")[4]
    assert first != second
    assert verify_password(PASSWORD, first) and verify_password(PASSWORD, second)


def _with(encoded: str, index: int, value: str) -> str:
    parts = encoded.split("$")
    parts[index] = value
    return "$".join(parts)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda e: "", id="empty"),
        pytest.param(lambda e: "not a hash", id="no fields"),
        pytest.param(lambda e: e + "$extra", id="seven fields"),
        pytest.param(lambda e: e.rsplit("$", 1)[0], id="five fields"),
        pytest.param(lambda e: _with(e, 0, "bcrypt"), id="other scheme"),
        pytest.param(lambda e: _with(e, 1, "lots"), id="cost not a number"),
        pytest.param(lambda e: _with(e, 1, "30000"), id="cost not a power of two"),
        pytest.param(lambda e: _with(e, 1, str(2**30)), id="cost too high"),
        pytest.param(lambda e: _with(e, 2, "0"), id="block size zero"),
        pytest.param(lambda e: _with(e, 3, "-1"), id="parallelism negative"),
        pytest.param(lambda e: _with(e, 4, "!!!"), id="salt not base64"),
        pytest.param(lambda e: _with(e, 4, ""), id="salt empty"),
        pytest.param(lambda e: _with(e, 5, "c2hvcnQ="), id="hash too short"),
        pytest.param(lambda e: _with(e, 5, e.split("$")[5][:-4]), id="hash truncated"),
    ],
)
def test_malformed_encoding_never_verifies_and_never_raises(
    encoded: str, damage: Callable[[str], str]
) -> None:
    assert verify_password(PASSWORD, damage(encoded)) is False


def test_hash_with_another_cost_still_verifies() -> None:
    """Raising the cost later must not lock out users whose hashes were made with the old one."""
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**10, r=8, p=1, dklen=32)
    encoded = "$".join(
        [
            "scrypt",
            "1024",
            "8",
            "1",
            base64.b64encode(salt).decode(),
            base64.b64encode(digest).decode(),
        ]
    )
    assert verify_password(PASSWORD, encoded)
    assert not verify_password(PASSWORD + "!", encoded)


@pytest.mark.parametrize(
    ("password", "user_name", "problem"),
    [
        ("short pass", "alice", "at least 12 characters"),
        ("", "alice", "at least 12 characters"),
        ("x" * 1025, "alice", "at most 1024 characters"),
        ("aaaaaaaaaaaaaaaa", "alice", "one character repeated"),
        ("my name is alice!!", "alice", "contains the user name"),
        ("my name is ALICE!!", "alice", "contains the user name"),
        ("AliceInWonderland", "alice", "contains the user name"),
    ],
)
def test_weak_new_password_is_refused_naming_the_rule(
    password: str, user_name: str, problem: str
) -> None:
    with pytest.raises(InputError, match=re.escape(problem)) as caught:
        check_new_password(password, user_name)
    assert "alice" in str(caught.value)
    if password:
        assert password not in str(caught.value)


@pytest.mark.parametrize(
    ("password", "user_name"),
    [
        ("correct horse battery staple", "alice"),
        ("exactly12chr", "alice"),
        ("bo is my best friend", "bo"),  # names under three letters are not searched for
        ("x" * 1023 + "y", "alice"),
    ],
)
def test_good_new_password_is_accepted(password: str, user_name: str) -> None:
    check_new_password(password, user_name)  # raises InputError when it refuses


def test_session_token_is_random_and_store_keeps_only_its_digest() -> None:
    token, digest = new_session_token()
    other_token, other_digest = new_session_token()
    assert token != other_token and digest != other_digest
    assert len(token) >= 43  # 32 random bytes in URL-safe base64
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in digest


def test_token_digest_is_stable_and_tells_tokens_apart() -> None:
    assert token_digest("abc") == token_digest("abc")
    assert token_digest("abc") != token_digest("abd")
    assert re.fullmatch(r"[0-9a-f]{64}", token_digest("abc"))
