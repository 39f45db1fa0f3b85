"""The only package that speaks SQL or touches the media folder."""

from citywatch.storage.sqlite import Store, open_store

__all__ = ["Store", "open_store"]
