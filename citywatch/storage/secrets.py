"""Camera credentials encrypted at rest with a key file kept outside the database.

A stolen database (or a backup of it) then holds no usable camera passwords. The key file is
created on first use with owner-only permissions; losing it means re-entering the credentials.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from citywatch.errors import StorageError


class SecretBox:
    def __init__(self, key_file: Path) -> None:
        self.key_file = key_file
        self._fernet: Fernet | None = None

    def _cipher(self) -> Fernet:
        if self._fernet is None:
            if not self.key_file.exists():
                self.key_file.parent.mkdir(parents=True, exist_ok=True)
                descriptor = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(Fernet.generate_key())
            try:
                self._fernet = Fernet(self.key_file.read_bytes().strip())
            except (OSError, ValueError) as error:
                raise StorageError(
                    f"camera secret key {self.key_file} is unusable: {error}"
                ) from None
        return self._fernet

    def seal(self, secret: str) -> bytes:
        return self._cipher().encrypt(secret.encode("utf-8"))

    def open(self, sealed: bytes) -> str:
        try:
            return self._cipher().decrypt(sealed).decode("utf-8")
        except InvalidToken:
            raise StorageError(
                f"camera credentials cannot be decrypted with {self.key_file}: the key file was "
                "replaced; re-add the camera with its credentials"
            ) from None
