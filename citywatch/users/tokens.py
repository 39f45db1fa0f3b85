"""Session tokens: the user holds the token, the store keeps only its SHA-256 digest.

A token has 256 random bits, so a plain (unsalted, fast) hash is enough: nobody can guess one, and
a copy of the sessions table cannot be replayed as a login.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32


def token_digest(token: str) -> str:
    """The SHA-256 hex digest of `token`: the form the store keeps and looks sessions up by."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_session_token() -> tuple[str, str]:
    """A fresh `(token, digest)`: give the token to the user, store the digest."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_digest(token)
