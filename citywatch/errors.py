"""One exception tree for citywatch.

    CitywatchError                 every error raised on purpose; the CLI prints it, exits 1
    ├── InputError                 the user gave something we cannot use (-> HTTP 400/422, exit 2)
    │   ├── ImageError             unreadable, corrupt or non-image file
    │   ├── SourceError            a video file or stream that cannot be opened or decoded
    │   ├── FaceError              no usable face: none, several, too small, too blurred
    │   └── TooLargeError          an upload over its size limit (-> HTTP 413)
    ├── AuthenticationError        no valid user, password or session (-> HTTP 401)
    ├── PermissionDeniedError      a role, case or scope does not allow the action (-> HTTP 403)
    ├── NotFoundError              an unknown id or name (-> HTTP 404)
    ├── ConflictError              the thing already exists (-> HTTP 409)
    ├── ConfigError                malformed settings or an invalid option value
    ├── ModelError                 a model package is missing or a model file fails its hash check
    └── StorageError               the database or media folder cannot be read or written
        └── AuditError             the audit record cannot be written, so the action is refused

Each message names the input and says what was expected, so that a person can fix it without
reading code.
"""

from __future__ import annotations


class CitywatchError(Exception):
    """Base of every error citywatch raises on purpose."""

    exit_code = 1


class InputError(CitywatchError):
    exit_code = 2


class ImageError(InputError):
    pass


class SourceError(InputError):
    """`state` says what the failure implies for a camera's health (offline, stalled, failed)."""

    def __init__(self, message: str, state: str = "failed") -> None:
        super().__init__(message)
        self.state = state


class FaceError(InputError):
    pass


class TooLargeError(InputError):
    pass


class AuthenticationError(CitywatchError):
    exit_code = 6


class PermissionDeniedError(CitywatchError):
    exit_code = 5


class NotFoundError(CitywatchError):
    exit_code = 3


class ConflictError(CitywatchError):
    exit_code = 4


class ConfigError(CitywatchError):
    exit_code = 2


class ModelError(CitywatchError):
    pass


class StorageError(CitywatchError):
    pass


class AuditError(StorageError):
    """The audit record could not be written: the action it records did not happen either."""
