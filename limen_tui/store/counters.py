"""The cache's counters: this process's in memory, everyone's cumulated in the cache file.

Counting happens in memory on every call; the increments are added to the file's
`cache_counters` table in batches (and on close), so a hit stays a read instead of
becoming a write, while `limen-tui cache stats`, another process, still sees totals.
A console that dies loses at most one batch of increments, which a statistic can afford.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Final

from sqlite_utils import Database

from limen_tui.store.sqlitefile import write_transaction

COUNTER_NAMES: Final = ("hits", "misses", "expired", "evicted", "writes", "invalidated")

SAVE_EVERY: Final = 256
"""Unsaved increments after which they are written to the file."""


class Counters:
    """Thread-safe; `save` must run inside the cache file's lock (it writes)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since_open = dict.fromkeys(COUNTER_NAMES, 0)
        self._unsaved = dict.fromkeys(COUNTER_NAMES, 0)
        self._backlog = 0

    def add(self, name: str, n: int = 1) -> bool:
        """Count `n` more `name`; True when enough is unsaved that a save is due."""
        with self._lock:
            self._since_open[name] += n
            self._unsaved[name] += n
            self._backlog += n
            return self._backlog >= SAVE_EVERY

    def add_all(self, deltas: Mapping[str, int]) -> bool:
        due = False
        for name, n in deltas.items():
            due = self.add(name, n) or due
        return due

    def since_open(self) -> dict[str, int]:
        with self._lock:
            return dict(self._since_open)

    def save(self, db: Database) -> None:
        """Add the unsaved increments to the file's totals, in a transaction of their own."""
        with self._lock:
            unsaved = {name: n for name, n in self._unsaved.items() if n}
            self._unsaved = dict.fromkeys(COUNTER_NAMES, 0)
            self._backlog = 0
        if not unsaved:
            return
        try:
            with write_transaction(db):
                db.conn.executemany(
                    "INSERT INTO cache_counters (name, value) VALUES (?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
                    list(unsaved.items()),
                )
        except BaseException:
            self.add_back(unsaved)
            raise

    def add_back(self, unsaved: Mapping[str, int]) -> None:
        with self._lock:
            for name, n in unsaved.items():
                self._unsaved[name] += n
                self._backlog += n

    @staticmethod
    def saved(db: Database) -> dict[str, int]:
        """Every process's totals as the file has them."""
        rows = db.execute("SELECT name, value FROM cache_counters").fetchall()
        totals = dict.fromkeys(COUNTER_NAMES, 0)
        totals.update({name: int(value) for name, value in rows if name in totals})
        return totals
