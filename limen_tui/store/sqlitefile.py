"""Opening a private SQLite file that several consoles share, and naming its faults.

Shared by the cache file and the audit log; each decides what a fault means to it
(the cache turns itself off, the audit log refuses to pretend an action was recorded).
"""

from __future__ import annotations

import contextlib
import enum
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Final, Literal

from sqlite_utils import Database

BUSY_TIMEOUT_MS: Final = 5000
"""How long a call waits for another console holding the file's write lock."""

# Keep the write-ahead log from growing without bound when a reader in another
# console holds a snapshot through a checkpoint; truncated back to this after one.
_JOURNAL_SIZE_LIMIT: Final = 4 * 1024 * 1024

Synchronous = Literal["NORMAL", "FULL"]

FileIdentity = tuple[int, int]
"""(device, inode): tells whether the file at a path is still the one we opened."""


class Fault(enum.Enum):
    CORRUPT = "corrupt"
    """The file is damaged or not a database: move it aside."""
    BUSY = "busy"
    """Another process kept the lock past the busy timeout: transient, skip this call."""
    SCHEMA = "schema"
    """The tables are not what this code expects (another version rebuilt them?): reopen."""
    UNAVAILABLE = "unavailable"
    """Cannot write here at all: read-only, full, I/O error, permission."""


_CORRUPT_CODES: Final = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
_BUSY_CODES: Final = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})

_PLAIN_WORDS: Final = {
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_READONLY: "the file or its directory is read-only",
    sqlite3.SQLITE_CANTOPEN: "cannot create or open the file (is its directory writable?)",
    sqlite3.SQLITE_PERM: "permission denied",
    sqlite3.SQLITE_IOERR: "disk I/O error",
    sqlite3.SQLITE_CORRUPT: "the file is damaged",
    sqlite3.SQLITE_NOTADB: "the file is not a database",
    sqlite3.SQLITE_BUSY: "another process kept the file locked",
    sqlite3.SQLITE_LOCKED: "another process kept the file locked",
}


# SQLite's stock message for each code says nothing the plain words do not.
_STOCK_MESSAGES: Final = frozenset(
    {
        "database or disk is full",
        "attempt to write a readonly database",
        "unable to open database file",
        "disk i/o error",
        "database disk image is malformed",
        "file is not a database",
        "database is locked",
    }
)


def _primary_code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    # Extended codes (e.g. SQLITE_IOERR_WRITE) carry the primary code in the low byte.
    return code & 0xFF if isinstance(code, int) else None


def classify(exc: BaseException) -> Fault:
    """What kind of trouble a sqlite3.Error or OSError from a store call is."""
    code = _primary_code(exc)
    if code in _CORRUPT_CODES:
        return Fault.CORRUPT
    if code in _BUSY_CODES:
        return Fault.BUSY
    if code == sqlite3.SQLITE_ERROR:
        # "no such table/column": the schema changed under this connection.
        return Fault.SCHEMA
    return Fault.UNAVAILABLE


def explain(exc: BaseException) -> str:
    """The fault in plain words, with the library's own message when it adds something."""
    if isinstance(exc, OSError) and not isinstance(exc, sqlite3.Error):
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror or exc}{where}"
    code = _primary_code(exc)
    plain = _PLAIN_WORDS.get(code) if code is not None else None
    detail = str(exc) or type(exc).__name__
    if plain is None:
        return detail
    return plain if detail.lower() in _STOCK_MESSAGES else f"{plain} ({detail})"


def identity_of(path: Path) -> FileIdentity | None:
    """The file's identity, or None when nothing is at `path` any more."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino)


def _create_private(path: Path) -> None:
    # Created 0600 by us before SQLite sees it: SQLite would honour the umask, and
    # it gives the -wal and -shm files the main file's mode, so this covers all three.
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        mode = stat.S_IMODE(os.fstat(fd).st_mode)
        if mode & 0o077:
            # A file left readable by an older tool or a careless copy: close it up.
            with contextlib.suppress(OSError):
                os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def open_private(path: Path, *, synchronous: Synchronous) -> Database:
    """Open (creating 0600 if needed) `path` in WAL mode with a busy timeout.

    The connection is in autocommit mode (isolation_level=None): every write
    transaction is an explicit `BEGIN IMMEDIATE` (see `write_transaction`), so a
    writer waits for the lock up front instead of failing to upgrade a read.
    `check_same_thread=False` because callers serialise access with their own lock.
    Raises sqlite3.Error or OSError; the caller classifies them.
    """
    _create_private(path)
    conn = sqlite3.connect(
        str(path),
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        check_same_thread=False,
    )
    try:
        db = Database(conn, recursive_triggers=False, execute_plugins=False)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.enable_wal()  # the first read of the header: garbage fails here as NOTADB
        db.execute(f"PRAGMA synchronous = {synchronous}")
        db.execute(f"PRAGMA journal_size_limit = {_JOURNAL_SIZE_LIMIT}")
    except BaseException:
        conn.close()
        raise
    return db


@contextlib.contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back if anything inside fails."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        # The failure may have ended the transaction already (a full disk can).
        with contextlib.suppress(sqlite3.Error):
            if db.conn.in_transaction:
                db.execute("ROLLBACK")
        raise


def close_quietly(db: Database | None) -> None:
    if db is not None:
        with contextlib.suppress(sqlite3.Error):
            db.close()
