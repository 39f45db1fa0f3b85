"""Password hashing with scrypt from the standard library, and the rules for a new password.

An encoded hash names its own parameters (`scrypt$32768$8$1$<salt>$<hash>`, salt and hash in
standard base64), so the cost can be raised later without invalidating stored hashes: old ones
still verify with the parameters they were made with.

Passwords are NFC-normalised before hashing, so the same password typed on keyboards that produce
composed or decomposed accents still matches.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import unicodedata

from citywatch.errors import InputError

SCHEME = "scrypt"
COST = 2**15
"""scrypt N: about 32 MiB and some tens of milliseconds per hash on a server core."""
BLOCK_SIZE = 8
PARALLELISM = 1
SALT_BYTES = 16
HASH_BYTES = 32
MIN_LENGTH = 12
MAX_LENGTH = 1024
"""Longer input adds nothing to strength; the bound keeps one login from costing unbounded work."""

_MAX_COST = 2**20
_MAX_BLOCK_SIZE = 16
_MAX_PARALLELISM = 16


def _secret(password: str) -> bytes:
    # surrogatepass: a lone surrogate (possible from some clients) hashes instead of raising.
    return unicodedata.normalize("NFC", password).encode("utf-8", "surrogatepass")


def _scrypt(
    password: str, salt: bytes, cost: int, block_size: int, parallelism: int, size: int
) -> bytes:
    # scrypt needs 128 * r * N bytes (plus a little per p); OpenSSL refuses above `maxmem`.
    maxmem = 128 * block_size * (cost + parallelism + 2) + 1024 * 1024
    return hashlib.scrypt(
        _secret(password),
        salt=salt,
        n=cost,
        r=block_size,
        p=parallelism,
        maxmem=maxmem,
        dklen=size,
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """The self-describing encoded hash of `password` with a fresh random salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, COST, BLOCK_SIZE, PARALLELISM, HASH_BYTES)
    return f"{SCHEME}${COST}${BLOCK_SIZE}${PARALLELISM}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    """Whether `password` matches `encoded`; False, never an exception, for a malformed encoding.

    A malformed or out-of-range encoding means the stored hash is unusable, and the only safe
    answer to a login against it is no.
    """
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        return False
    try:
        cost, block_size, parallelism = (int(part, 10) for part in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        expected = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        return False
    if not (
        2 <= cost <= _MAX_COST
        and cost & (cost - 1) == 0
        and 1 <= block_size <= _MAX_BLOCK_SIZE
        and 1 <= parallelism <= _MAX_PARALLELISM
        and 8 <= len(salt) <= 64
        # Exactly HASH_BYTES: scrypt's output for a shorter length is a prefix of the longer
        # one, so accepting any length would let a truncated hash still verify.
        and len(expected) == HASH_BYTES
    ):
        return False
    try:
        actual = _scrypt(password, salt, cost, block_size, parallelism, HASH_BYTES)
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(actual, expected)


def check_new_password(password: str, user_name: str) -> None:
    """Refuse a password that is too short, too long, contains the user name or repeats one
    character. The message names the user and the rule, never the password itself.

    The user-name rule applies to names of three characters or more, compared without case: a
    one- or two-letter name occurs by chance in too many good passwords.
    """
    where = f"password for {user_name}" if user_name else "password"
    normalised = unicodedata.normalize("NFC", password)
    if len(normalised) < MIN_LENGTH:
        raise InputError(
            f"{where}: too short ({len(normalised)} characters); "
            f"expected at least {MIN_LENGTH} characters"
        )
    if len(normalised) > MAX_LENGTH:
        raise InputError(
            f"{where}: too long ({len(normalised)} characters); "
            f"expected at most {MAX_LENGTH} characters"
        )
    if len(set(normalised)) == 1:
        raise InputError(f"{where}: is one character repeated; expected a varied password")
    name = user_name.strip().casefold()
    if len(name) >= 3 and name in normalised.casefold():
        raise InputError(f"{where}: contains the user name; expected a password without it")
