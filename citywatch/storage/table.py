"""The base of the store's per-subject classes: the store's one connection and its transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager

Transaction = Callable[[], AbstractContextManager[sqlite3.Connection]]


class Table:
    """Rows of one subject (users, cases, reviews, cameras). Writes go through `transaction`,
    which joins a transaction the caller already holds, so an action and its audit record
    commit together."""

    def __init__(self, db: sqlite3.Connection, transaction: Transaction) -> None:
        self.db = db
        self.transaction = transaction
