"""Printing for the CLI: JSON lines for machines, rich tables for people, errors on stderr."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, is_dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    return value


def emit_json(payload: Any) -> None:
    """One JSON object per line on stdout, flushed so pipes see alerts as they happen."""
    sys.stdout.write(json.dumps(_plain(payload), ensure_ascii=False) + "\n")
    sys.stdout.flush()
