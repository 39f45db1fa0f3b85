"""Ed25519-signed checkpoints of the audit log's head, and the key that signs them.

The key file lives outside the database (`<home>/keys/audit-ed25519.key`, PKCS#8 PEM, mode 0600),
so a copy of the database alone cannot be used to sign a rewritten log. Exporting checkpoints to a
place the server cannot write (another machine, a printed page, an e-mail to the data protection
officer) is what makes a full rewrite detectable even by someone who holds the key.

The signed message is the canonical JSON (see `citywatch.audit.encoding`) of

    {"head_hash": <64 hex>, "purpose": "citywatch-audit-checkpoint-v1",
     "sequence": <int>, "signed_at": "<ISO-8601 UTC, microseconds, +00:00>"}

with keys sorted and no whitespace, e.g.
`{"head_hash":"ab…","purpose":"citywatch-audit-checkpoint-v1","sequence":17,"signed_at":"2024-05-01T12:00:00.000000+00:00"}`.
`purpose` keeps a checkpoint signature from being valid as anything else. To check one with
OpenSSL: write that line without a newline to `message`, the signature's bytes to `signature`,
the public key as a DER SubjectPublicKeyInfo (prefix `302a300506032b6570032100` + the 32 key bytes)
to `public.der`, then `openssl pkeyutl -verify -pubin -keyform DER -inkey public.der -rawin
-in message -sigfile signature`.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from citywatch.audit.encoding import canonical_json, is_utc, utc_text
from citywatch.errors import InputError, StorageError
from citywatch.types import Checkpoint

PURPOSE = "citywatch-audit-checkpoint-v1"
HASH_HEX = re.compile(r"^[0-9a-f]{64}$")
SIGNATURE_HEX = re.compile(r"^[0-9a-f]{128}$")
EXPECTED_SHAPE = (
    'a JSON object {"sequence": <integer >= 1>, "head_hash": <64 hex digits>, '
    '"signed_at": <ISO-8601 UTC time>, "public_key": <64 hex digits>, '
    '"signature": <128 hex digits>}'
)


def load_signing_key(path: Path, create: bool = True) -> Ed25519PrivateKey:
    """The audit signing key, created (file 0600, new folder 0700) when missing and `create`.

    Raises:
        StorageError: the file is missing (and not `create`), unreadable, or not an Ed25519 key.
    """
    if not path.exists():
        if not create:
            raise StorageError(
                f"audit signing key {path} does not exist; expected the Ed25519 key citywatch "
                "created there when it first signed a checkpoint (restore it from a backup)"
            )
        _create_key_file(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise StorageError(f"cannot read audit signing key {path}: {error.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise StorageError(
            f"audit signing key {path} is corrupt; expected an unencrypted Ed25519 private key "
            "in PKCS#8 PEM ('-----BEGIN PRIVATE KEY-----'); restore it from a backup, or move "
            "it away to start a new key (old checkpoints still verify with their own public key)"
        )
    return key


def _create_key_file(path: Path) -> None:
    """Write a new key without ever leaving a half-written or world-readable file at `path`."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if not path.parent.exists():
            path.parent.mkdir(mode=0o700, parents=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        # link, unlike replace, never overwrites: a key another process made meanwhile wins.
        os.link(temporary, path)
    except FileExistsError:
        pass
    except OSError as error:
        raise StorageError(f"cannot create audit signing key {path}: {error.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)


def public_key_hex(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw.hex()


def checkpoint_message(sequence: int, head_hash: str, signed_at: datetime) -> bytes:
    """The exact bytes a checkpoint's signature covers (see the module docstring)."""
    return canonical_json(
        {
            "head_hash": head_hash,
            "purpose": PURPOSE,
            "sequence": sequence,
            "signed_at": utc_text(signed_at),
        }
    )


def sign_checkpoint(
    key: Ed25519PrivateKey, sequence: int, head_hash: str, at: datetime
) -> Checkpoint:
    """Sign "the log had `sequence` records ending in `head_hash`" as of `at` (UTC).

    Raises:
        ValueError: `sequence` < 1 (an empty log has nothing to vouch for), `head_hash` is not
            64 lowercase hex digits, or `at` is not UTC.
    """
    if sequence < 1:
        raise ValueError(f"cannot checkpoint sequence {sequence}; expected a record number >= 1")
    if not HASH_HEX.match(head_hash):
        raise ValueError(f"head hash {head_hash!r} is not 64 lowercase hex digits")
    if not is_utc(at):
        raise ValueError(f"checkpoint time {at.isoformat()} is not UTC")
    signature = key.sign(checkpoint_message(sequence, head_hash, at))
    return Checkpoint(sequence, head_hash, at, public_key_hex(key), signature.hex())


def checkpoint_valid(checkpoint: Checkpoint) -> bool:
    """Whether `checkpoint.signature` is its own public key's signature of its content.

    This proves integrity, not authority: pair it with a trusted key list (see `verify_chain`).
    """
    try:
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(checkpoint.public_key))
        message = checkpoint_message(
            checkpoint.sequence, checkpoint.head_hash, checkpoint.signed_at
        )
        public.verify(bytes.fromhex(checkpoint.signature), message)
    except (ValueError, InvalidSignature):
        return False
    return True


def checkpoint_to_json(checkpoint: Checkpoint) -> dict[str, str | int]:
    return {
        "sequence": checkpoint.sequence,
        "head_hash": checkpoint.head_hash,
        "signed_at": utc_text(checkpoint.signed_at),
        "public_key": checkpoint.public_key,
        "signature": checkpoint.signature,
    }


def checkpoint_from_json(data: object, source: str) -> Checkpoint:
    """Read a checkpoint from parsed JSON; `source` names where it came from, for messages.

    Raises:
        InputError: `data` does not have the shape `checkpoint_to_json` writes.
    """

    def refuse(what: str) -> InputError:
        return InputError(f"{source} is not an audit checkpoint: {what}; expected {EXPECTED_SHAPE}")

    if not isinstance(data, dict):
        raise refuse(f"it holds a JSON {type(data).__name__}")
    missing = [
        k
        for k in ("sequence", "head_hash", "signed_at", "public_key", "signature")
        if k not in data
    ]
    if missing:
        raise refuse(f"{', '.join(missing)} missing")
    sequence = data["sequence"]
    if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 1:
        raise refuse(f"sequence is {sequence!r}")
    for name, pattern in (
        ("head_hash", HASH_HEX),
        ("public_key", HASH_HEX),
        ("signature", SIGNATURE_HEX),
    ):
        if not isinstance(data[name], str) or not pattern.match(data[name]):
            raise refuse(f"{name} is {data[name]!r}")
    try:
        signed_at = datetime.fromisoformat(data["signed_at"])
    except (TypeError, ValueError):
        signed_at = None
    if signed_at is None or not is_utc(signed_at):
        raise refuse(f"signed_at is {data['signed_at']!r}")
    return Checkpoint(sequence, data["head_hash"], signed_at, data["public_key"], data["signature"])


def write_checkpoint_file(path: Path, checkpoint: Checkpoint) -> None:
    """Write `checkpoint` as indented JSON, atomically (a reader never sees half a file).

    Raises:
        StorageError: the file cannot be written.
    """
    text = json.dumps(checkpoint_to_json(checkpoint), indent=2, sort_keys=True) + "\n"
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise StorageError(f"cannot write checkpoint file {path}: {error.strerror}") from None


def read_checkpoint_file(path: Path) -> Checkpoint:
    """Raises InputError naming `path` when it is missing, unreadable or not a checkpoint."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            f"checkpoint file {path} does not exist; expected a JSON file exported from the "
            "audit log"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read checkpoint file {path}: {error}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"checkpoint file {path} is not valid JSON ({error}); expected {EXPECTED_SHAPE}"
        ) from None
    return checkpoint_from_json(data, f"checkpoint file {path}")
