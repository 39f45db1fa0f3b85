"""The tamper-evident audit log: who did what, to which case, when, provably unaltered.

Design:
- **Hash chain** (`chain`): every record carries the SHA-256 of its own canonical content and the
  hash of the record before it, so editing, deleting, inserting or reordering a record breaks the
  chain at that point. `verify_chain` walks the log once and names the first record it can no
  longer vouch for, with a sentence a person can act on.
- **Signed checkpoints** (`checkpoints`): a chain alone cannot catch someone who rewrites every
  record from some point on and re-hashes them all, nor one who cuts records off the end. An
  Ed25519 signature over (sequence, head hash, time), made with a key kept outside the database,
  can: keep checkpoints in the database and export them somewhere the server cannot write.
- **One transaction** (`citywatch.storage.audit.AuditLog`): a record is appended inside the
  transaction of the action it records, so both commit or neither does; if the record cannot be
  written the action is refused (`AuditError`). The table itself refuses UPDATE and DELETE.

What is hashed and signed is specified byte for byte in `encoding` and `checkpoints`, so anyone can
re-check a log or a checkpoint with other tools.
"""

from __future__ import annotations

from citywatch.audit.chain import GENESIS_HASH, canonical_bytes, compute_hash, seal, verify_chain
from citywatch.audit.checkpoints import (
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

__all__ = [
    "GENESIS_HASH",
    "canonical_bytes",
    "checkpoint_from_json",
    "checkpoint_message",
    "checkpoint_to_json",
    "checkpoint_valid",
    "compute_hash",
    "load_signing_key",
    "public_key_hex",
    "read_checkpoint_file",
    "seal",
    "sign_checkpoint",
    "verify_chain",
    "write_checkpoint_file",
]
