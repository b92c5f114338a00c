"""The cache file's tables, and what happens when the file has another version of them.

Everything in the cache file is disposable, so a file from an older limen-tui is not
migrated: its tables are dropped and made again. A file from a newer limen-tui is left
alone (the caller turns caching off) so two versions on one host do not keep wiping
each other's cache.
"""

from __future__ import annotations

from typing import Final

from sqlite_utils import Database

from limen_tui.store.sqlitefile import write_transaction

SCHEMA_VERSION: Final = 1
"""Stored in PRAGMA user_version. Bump it whenever a statement below changes."""

STATEMENTS: Final = (
    # The key's column order serves invalidation: a whole host, a host's item (all
    # kinds), or one kind of one item are all prefixes of the primary key.
    """CREATE TABLE entries (
        host TEXT NOT NULL,
        item TEXT NOT NULL,
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        stored_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        last_used REAL NOT NULL,
        size INTEGER NOT NULL,
        PRIMARY KEY (host, item, kind)
    )""",
    "CREATE INDEX entries_by_expiry ON entries (expires_at)",
    "CREATE INDEX entries_by_last_use ON entries (last_used)",
    # Running totals kept by triggers, so the size cap and `stats()` cost one row
    # read instead of a scan, and stay right when several consoles write.
    """CREATE TABLE entry_totals (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        entries INTEGER NOT NULL,
        bytes INTEGER NOT NULL
    )""",
    "INSERT INTO entry_totals (id, entries, bytes) VALUES (1, 0, 0)",
    """CREATE TRIGGER entry_added AFTER INSERT ON entries BEGIN
        UPDATE entry_totals SET entries = entries + 1, bytes = bytes + NEW.size WHERE id = 1;
    END""",
    """CREATE TRIGGER entry_removed AFTER DELETE ON entries BEGIN
        UPDATE entry_totals SET entries = entries - 1, bytes = bytes - OLD.size WHERE id = 1;
    END""",
    """CREATE TRIGGER entry_resized AFTER UPDATE OF size ON entries BEGIN
        UPDATE entry_totals SET bytes = bytes - OLD.size + NEW.size WHERE id = 1;
    END""",
    # Cumulative over every process, for `limen-tui cache stats`.
    "CREATE TABLE cache_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    # A series' name is stored once, not in every sample.
    """CREATE TABLE series (
        id INTEGER PRIMARY KEY,
        host TEXT NOT NULL,
        subject TEXT NOT NULL,
        metric TEXT NOT NULL,
        UNIQUE (host, subject, metric)
    )""",
    # Time first: a tick's samples land together at the end of the table, so an append
    # dirties a few pages. Keyed by series first, every series' newest sample sat on a
    # page of its own: 500 series wrote 3.3 MB per tick instead of about 20 KB.
    """CREATE TABLE samples (
        ts REAL NOT NULL,
        series INTEGER NOT NULL,
        value REAL NOT NULL,
        PRIMARY KEY (ts, series)
    ) WITHOUT ROWID""",
)


class NewerSchema(Exception):
    """The file was made by a newer limen-tui; this one must not rebuild it."""

    def __init__(self, found: int) -> None:
        super().__init__(
            f"the cache file was made by a newer limen-tui (schema {found}, "
            f"this one knows {SCHEMA_VERSION})"
        )
        self.found = found


def _user_version(db: Database) -> int:
    ((version,),) = db.execute("PRAGMA user_version").fetchall()
    return int(version)


def ensure_schema(db: Database) -> int | None:
    """Make the tables if the file's version is older than ours.

    Returns the version whose tables were dropped, or None when nothing was lost (the
    file was current, or new and empty). Raises NewerSchema for a newer file.
    """
    found = _user_version(db)
    if found == SCHEMA_VERSION:
        return None
    if found > SCHEMA_VERSION:
        raise NewerSchema(found)
    with write_transaction(db):
        # Another console may have rebuilt it while we waited for the lock.
        found = _user_version(db)
        if found == SCHEMA_VERSION:
            return None
        if found > SCHEMA_VERSION:
            raise NewerSchema(found)
        old = db.execute(
            "SELECT type, name FROM sqlite_master "
            "WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        for kind, name in old:
            quoted = '"' + name.replace('"', '""') + '"'
            db.execute(f"DROP {kind.upper()} IF EXISTS {quoted}")
        for statement in STATEMENTS:
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return found if old else None
