"""Stream URLs: validation, and keeping credentials out of everything that is shown or stored.

Credentials (`user:password@`) are split off before a URL is stored, shown or logged, and joined
back only in the camera worker at the moment the stream is opened. FFmpeg error messages can quote
the URL they were given, so every message from the stream layer goes through `redact_text`.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from citywatch.errors import InputError

STREAM_SCHEMES = ("rtsp", "rtsps", "http", "https", "file")
# Up to the last `@` of the authority: FFmpeg accepts an unencoded `@` in the password.
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s]+@")
# `user:pass@host/...` typed without a scheme (a colon before the `@` tells it from an e-mail).
_BARE_USERINFO = re.compile(r"(?<![\w/:@.-])[^\s/:@'\"]+:[^\s/'\"]*@")


def redact_text(text: str) -> str:
    """Replace any `scheme://user:pass@` (or a bare `user:pass@`) in free text by `***@`."""
    return _BARE_USERINFO.sub("***@", _USERINFO.sub(r"\g<scheme>***@", text))


def split_credentials(url: str) -> tuple[str, str | None]:
    """(URL without credentials, "user:password" or None)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, host = parts.netloc.rsplit("@", 1)
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment)), userinfo


def join_credentials(url: str, userinfo: str | None) -> str:
    if not userinfo:
        return url
    parts = urlsplit(url)
    netloc = f"{userinfo}@{parts.netloc}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def check_stream_url(url: str) -> str:
    """The URL, stripped, if it names a stream we can open; else InputError saying what's wrong.

    A plain path (no scheme) is a video file standing in for a camera.
    """
    url = url.strip()
    if "://" not in url:
        scheme = urlsplit(url).scheme
        # `javascript:...`, `mailto:...`: a scheme, not a file (one letter is a Windows drive).
        if len(scheme) > 1 and not Path(url).exists():
            raise InputError(
                f"{redact_text(url)!r}: unsupported stream URL; expected rtsp://, rtsps://, "
                "http://, https:// or file:// (or a path to a video file)"
            )
        return url
    parts = urlsplit(url)
    if parts.scheme.lower() not in STREAM_SCHEMES:
        raise InputError(
            f"{redact_text(url)!r}: unsupported stream URL; expected rtsp://, rtsps://, http://, "
            "https:// or file:// (or a path to a video file)"
        )
    if parts.scheme != "file" and not parts.hostname:
        raise InputError(f"{redact_text(url)!r}: the URL has no host")
    return url


def redact_url(url: str) -> str:
    """The URL as it may be shown: credentials, if any, replaced by `***`."""
    return redact_text(url)
