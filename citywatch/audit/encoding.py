"""The canonical encoding that record hashes and checkpoint signatures cover.

Anyone re-computing a hash or checking a signature with other tools must produce these bytes
exactly: JSON with sorted keys, no whitespace, non-ASCII characters as UTF-8 (not `\\u` escapes),
no NaN or infinity; timestamps as ISO-8601 in UTC with microseconds and a `+00:00` offset, e.g.
`2024-05-01T12:00:00.000000+00:00`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta


def utc_text(at: datetime) -> str:
    """The one text form of a timestamp inside hashed or signed data.

    Raises:
        ValueError: `at` has no time zone, so its instant is unknown.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"timestamp {at.isoformat()} has no time zone; expected UTC")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def is_utc(at: datetime) -> bool:
    return at.tzinfo is not None and at.utcoffset() == timedelta(0)


def canonical_json(value: object) -> bytes:
    """Raises ValueError for NaN, infinity or anything JSON cannot encode."""
    try:
        text = json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except TypeError as error:
        raise ValueError(str(error)) from None
    return text.encode("utf-8")
