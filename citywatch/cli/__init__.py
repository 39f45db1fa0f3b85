"""The `citywatch` command: one group, `--json` on every command that prints results."""

from citywatch.cli.main import cli, main

__all__ = ["cli", "main"]
