"""Signed checkpoints: the key file, signatures that catch any change, and the exported JSON."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from citywatch.audit import (
    checkpoint_from_json,
    checkpoint_message,
    checkpoint_to_json,
    checkpoint_valid,
    load_signing_key,
    public_key_hex,
    read_checkpoint_file,
    sign_checkpoint,
    write_checkpoint_file,
)
from citywatch.errors import InputError, StorageError
from citywatch.types import Checkpoint

HEAD = "ab" * 32
SIGNED_AT = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


@pytest.fixture
def signed(key: Ed25519PrivateKey) -> Checkpoint:
    return sign_checkpoint(key, 17, HEAD, SIGNED_AT)


def test_a_missing_key_is_created_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "home" / "keys" / "audit-ed25519.key"
    load_signing_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_the_key_file_is_reused_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "audit-ed25519.key"
    first = public_key_hex(load_signing_key(path))
    assert public_key_hex(load_signing_key(path)) == first
    assert public_key_hex(load_signing_key(path, create=False)) == first


def test_a_missing_key_is_not_created_when_not_asked_to(tmp_path: Path) -> None:
    path = tmp_path / "audit-ed25519.key"
    with pytest.raises(StorageError, match="does not exist"):
        load_signing_key(path, create=False)
    assert not path.exists()


@pytest.mark.parametrize(
    "content",
    [b"", b"not a key", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"],
    ids=["empty", "text", "bad-pem"],
)
def test_a_corrupt_key_file_names_the_file_and_the_expected_key(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "audit-ed25519.key"
    path.write_bytes(content)
    with pytest.raises(StorageError) as raised:
        load_signing_key(path)
    assert str(path) in str(raised.value)
    assert "Ed25519 private key" in str(raised.value)
    assert path.read_bytes() == content  # never overwritten


def test_a_checkpoint_signature_verifies(signed: Checkpoint, key: Ed25519PrivateKey) -> None:
    assert checkpoint_valid(signed)
    assert (signed.sequence, signed.head_hash, signed.signed_at) == (17, HEAD, SIGNED_AT)
    assert signed.public_key == public_key_hex(key)


@pytest.mark.parametrize(
    "changes",
    [
        {"sequence": 18},
        {"head_hash": "cd" * 32},
        {"signed_at": SIGNED_AT + timedelta(microseconds=1)},
        {"signature": "00" * 64},
        {"public_key": public_key_hex(Ed25519PrivateKey.generate())},
        {"signature": "not hex"},
        {"public_key": "ab"},
        {"signed_at": datetime(2024, 5, 1, 12)},  # no time zone: cannot be encoded
    ],
    ids=lambda c: next(iter(c)),
)
def test_any_change_to_a_checkpoint_breaks_its_signature(
    signed: Checkpoint, changes: dict[str, object]
) -> None:
    assert not checkpoint_valid(replace(signed, **changes))  # type: ignore[arg-type]


def test_the_signed_message_is_documented_canonical_json() -> None:
    assert (
        checkpoint_message(17, HEAD, SIGNED_AT.astimezone(timezone(timedelta(hours=2))))
        == (
            f'{{"head_hash":"{HEAD}","purpose":"citywatch-audit-checkpoint-v1","sequence":17,'
            '"signed_at":"2024-05-01T12:00:00.123456+00:00"}'
        ).encode()
    )


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_a_checkpoint_verifies_with_openssl_as_documented(
    signed: Checkpoint, tmp_path: Path
) -> None:
    message, signature, public = (tmp_path / n for n in ("message", "signature", "public.der"))
    message.write_bytes(checkpoint_message(signed.sequence, signed.head_hash, signed.signed_at))
    signature.write_bytes(bytes.fromhex(signed.signature))
    public.write_bytes(bytes.fromhex("302a300506032b6570032100" + signed.public_key))
    command = ["openssl", "pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey"]
    command += [str(public), "-rawin", "-in", str(message), "-sigfile", str(signature)]
    assert subprocess.run(command, capture_output=True, check=False).returncode == 0
    signature.write_bytes(bytes(64))
    assert subprocess.run(command, capture_output=True, check=False).returncode != 0


@pytest.mark.parametrize(
    ("sequence", "head_hash", "at"),
    [
        (0, HEAD, SIGNED_AT),
        (1, "AB" * 32, SIGNED_AT),
        (1, "ab", SIGNED_AT),
        (1, HEAD, datetime(2024, 5, 1)),
    ],
    ids=["empty-log", "uppercase-hash", "short-hash", "naive-time"],
)
def test_signing_refuses_what_could_never_verify(
    key: Ed25519PrivateKey, sequence: int, head_hash: str, at: datetime
) -> None:
    with pytest.raises(ValueError):
        sign_checkpoint(key, sequence, head_hash, at)


def test_json_round_trip_keeps_the_checkpoint_valid(signed: Checkpoint) -> None:
    data = json.loads(json.dumps(checkpoint_to_json(signed)))
    assert data["signed_at"] == "2024-05-01T12:00:00.123456+00:00"
    restored = checkpoint_from_json(data, "test")
    assert restored == signed
    assert checkpoint_valid(restored)


def test_a_checkpoint_file_round_trips(signed: Checkpoint, tmp_path: Path) -> None:
    path = tmp_path / "exported" / "checkpoint-17.json"
    write_checkpoint_file(path, signed)
    assert read_checkpoint_file(path) == signed
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def assert_refused(data: object, complaint: str) -> None:
    with pytest.raises(InputError) as raised:
        checkpoint_from_json(data, "checkpoint file /backup/cp.json")
    message = str(raised.value)
    assert message.startswith("checkpoint file /backup/cp.json is not an audit checkpoint")
    assert complaint in message
    assert '"head_hash": <64 hex digits>' in message


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        ([], "it holds a JSON list"),
        ({"sequence": 1}, "head_hash, signed_at, public_key, signature missing"),
    ],
)
def test_json_that_is_not_a_checkpoint_object_is_refused(data: object, complaint: str) -> None:
    assert_refused(data, complaint)


@pytest.mark.parametrize(
    ("patch", "complaint"),
    [
        ({"sequence": True}, "sequence is True"),
        ({"sequence": 0}, "sequence is 0"),
        ({"head_hash": "xyz"}, "head_hash is 'xyz'"),
        ({"signature": "ab"}, "signature is 'ab'"),
        ({"public_key": 7}, "public_key is 7"),
        ({"signed_at": "yesterday"}, "signed_at is 'yesterday'"),
        ({"signed_at": "2024-05-01T12:00:00"}, "signed_at is '2024-05-01T12:00:00'"),
    ],
)
def test_a_malformed_field_is_refused_by_name(
    signed: Checkpoint, patch: dict[str, object], complaint: str
) -> None:
    assert_refused({**checkpoint_to_json(signed), **patch}, complaint)


def test_a_missing_checkpoint_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.json"
    with pytest.raises(InputError, match=f"checkpoint file {path} does not exist"):
        read_checkpoint_file(path)


@pytest.mark.parametrize(
    "content", [b"{not json", b"\xff\xfe", b'"a string"'], ids=["json", "utf8", "shape"]
)
def test_a_corrupt_checkpoint_file_is_named(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "cp.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=f"checkpoint file {path}"):
        read_checkpoint_file(path)
