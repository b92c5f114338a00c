"""The one SQLite file behind the cache and the metric history, and what to do when it fails.

The cache is disposable, so no fault in it may reach the console:
  - a damaged file (not a database, malformed, truncated) is moved aside as
    `cache.db.corrupt-<timestamp>` and a new one is started, with a warning;
  - a file that cannot be written (read-only directory, full disk, I/O error) turns the
    cache off for this process with a plain reason; every call is then a miss or a no-op;
  - another console holding the lock past the busy timeout skips that one call;
  - a file from an older limen-tui is rebuilt; one from a newer limen-tui turns caching off.

Thread safety: one connection per file, shared by every thread behind a re-entrant lock.
A cache call takes tens of microseconds, so serialising them costs less than a connection
per worker thread would, and a single connection is what lets a fault handler close the
file, move it aside and reopen it without another thread still holding the old one.
Several processes share the file through WAL mode and a busy timeout.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Final, TypeVar

from sqlite_utils import Database

from limen_tui.paths import cache_dir
from limen_tui.store.schema import NewerSchema, ensure_schema
from limen_tui.store.sqlitefile import (
    Fault,
    FileIdentity,
    classify,
    close_quietly,
    explain,
    identity_of,
    open_private,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

CORRUPT_COPIES_KEPT: Final = 2
"""Damaged files kept for a post-mortem; older ones are deleted (each may be 100 MB)."""
WARNINGS_KEPT: Final = 20


def default_cache_path() -> Path:
    return cache_dir() / "cache.db"


class CacheFile:
    """The cache's SQLite file: opened on construction, reopened when replaced or damaged."""

    def __init__(
        self, path: str | os.PathLike[str] | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.path = Path(path) if path is not None else default_cache_path()
        self.enabled = True
        """False once the file cannot be used; `reason` says why, in plain words."""
        self.reason = ""
        self.warnings: list[str] = []
        """Things the operator may want to know that did not turn caching off (newest last)."""
        self.busy_skips = 0
        """Calls skipped because another process kept the file locked past the timeout."""
        self._clock = clock
        self._lock = threading.RLock()
        self._db: Database | None = None
        self._identity: FileIdentity | None = None
        self.run(lambda _db: None, None)  # open now, so a fault shows at start-up

    def run(self, operation: Callable[[Database], T], default: T) -> T:
        """Run `operation` on the open file under the lock; `default` if the file fails.

        A damaged file is moved aside and `operation` tried once more on a new file; it
        runs inside its own transaction, so a failed first attempt left nothing behind.
        """
        with self._lock:
            for attempt in (1, 2):
                if not self.enabled:
                    return default
                try:
                    return operation(self._current())
                except NewerSchema as exc:
                    self._disable(str(exc))
                except (sqlite3.ProgrammingError, sqlite3.InterfaceError):
                    raise  # a bug in the caller (say, a value SQLite cannot bind), not the file
                except (sqlite3.Error, OSError) as exc:
                    fault = classify(exc)
                    if fault is Fault.BUSY:
                        self.busy_skips += 1
                        log.debug("%s: skipped a call: %s", self.path, explain(exc))
                        return default
                    if attempt == 1 and fault is Fault.CORRUPT:
                        self._move_aside(explain(exc))
                    elif attempt == 1 and fault is Fault.SCHEMA:
                        self._close()
                    else:
                        self._disable(explain(exc))
            return default

    def close(self) -> None:
        with self._lock:
            self._close()

    def warn(self, message: str) -> None:
        # info, not warning: logging's last-resort handler would print warnings over the
        # console's screen; `warnings` is how the operator sees them.
        log.info("%s", message)
        self.warnings.append(message)
        del self.warnings[:-WARNINGS_KEPT]

    # ------------------------------------------------------------------ internals

    def _current(self) -> Database:
        """The open connection, reopened if another process replaced or removed the file."""
        if self._db is not None and identity_of(self.path) == self._identity:
            return self._db
        self._close()
        # Remember which file we open before anything can fail on it, so a fault
        # handler knows whether the file at the path is still the damaged one.
        self._identity = identity_of(self.path)
        db = open_private(self.path, synchronous="NORMAL")
        self._identity = identity_of(self.path)  # it may have just been created
        self._db = db
        replaced = ensure_schema(db)
        if replaced is not None:
            self.warn(
                f"The cache file {self.path} had tables from another version "
                f"(schema {replaced}); they were rebuilt."
            )
        return db

    def _close(self) -> None:
        close_quietly(self._db)
        self._db = None

    def _disable(self, why: str) -> None:
        self._close()
        self.enabled = False
        self.reason = f"cache off: {why}" + ("" if str(self.path) in why else f" ({self.path})")
        log.info("%s", self.reason)

    def _move_aside(self, why: str) -> None:
        damaged = self._identity
        self._close()
        current = identity_of(self.path)
        if damaged is not None and current != damaged:
            return  # another console already moved it aside; just reopen
        stamp = datetime.fromtimestamp(self._clock()).strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        try:
            os.rename(self.path, target)
            # The old write-ahead log belongs to the damaged file; left in place, SQLite
            # would replay it into the new one.
            wal = Path(f"{self.path}-wal")
            if wal.exists():
                os.rename(wal, f"{target}-wal")
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.path}-shm")
        except OSError as exc:
            self._disable(f"the file is damaged ({why}) and could not be moved aside: {exc}")
            return
        self.warn(
            f"Moved the damaged cache file {self.path} aside to {target.name} "
            f"and started a new one: {why}."
        )
        self._prune_corrupt_copies()

    def _prune_corrupt_copies(self) -> None:
        # The names carry the time they were moved aside, so name order is age order.
        copies = sorted(
            p
            for p in self.path.parent.glob(f"{self.path.name}.corrupt-*")
            if not p.name.endswith("-wal")
        )
        for old in copies[:-CORRUPT_COPIES_KEPT]:
            for path in (old, Path(f"{old}-wal")):
                with contextlib.suppress(OSError):
                    path.unlink()
