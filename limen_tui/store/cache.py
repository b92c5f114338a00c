"""A cache of what libvirt told us, that expires on read and never runs a timer.

Entries are keyed by (kind, host, item), hold a JSON value and live for the TTL of
their kind. A read that meets an expired entry deletes it and reports a miss; a write
trims a small batch of other expired entries and evicts the least recently used ones
when the stored values outgrow the size cap. Actions and events invalidate what they
change. Faults never reach the caller: see `cachefile` for what happens instead.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from sqlite_utils import Database

from limen_tui.store.cachefile import CacheFile
from limen_tui.store.counters import COUNTER_NAMES, Counters
from limen_tui.store.sqlitefile import Fault, classify, write_transaction

__all__ = ["COUNTER_NAMES", "DEFAULT_MAX_BYTES", "DEFAULT_TTLS", "Cache", "CacheStats", "Entry"]

DEFAULT_TTLS: dict[str, float] = {
    # Changes only on define/attach/detach, which send events that invalidate it;
    # the TTL bounds the damage of an event the console missed while disconnected.
    "domain_xml": 300.0,
    "domain_details": 60.0,
    "host_facts": 3600.0,
    # Host capabilities change with a libvirt or QEMU upgrade, i.e. a daemon restart.
    "capabilities": 86_400.0,
    "pools": 120.0,
    "networks": 300.0,
    "dhcp_leases": 60.0,
    # The last known fleet, painted (marked stale) before the first connection answers.
    "fleet": 7 * 86_400.0,
    "snapshots": 300.0,
    # A guest's addresses change with DHCP and the agent: asked for visible rows only.
    "addresses": 15.0,
}
"""Seconds an entry of each kind stays fresh."""

DEFAULT_MAX_BYTES: Final = 100 * 1024 * 1024

EXPIRED_TRIM_BATCH: Final = 32
"""Expired entries a write deletes besides its own work: bounded so a write stays cheap."""

TOUCH_EVERY: Final = 1.0
"""Seconds between two last-used updates of one entry: a hot entry read many times a
second would otherwise turn every hit into a write; LRU order needs no finer grain."""


_ALL_ITEMS = """
SELECT '[' || group_concat(
    '[' || json_quote(item) || ',' || value || ',' || quote(stored_at) || ','
    || quote(expires_at) || ']', ','
) || ']', count(*)
FROM entries WHERE host = ? AND kind = ?
"""
"""Every item of a set as one JSON text: [[item, value, stored_at, expires_at], ...].

One result row, not one per item: Python's sqlite3 takes the GIL back for every row it
fetches, and while the UI thread was busy (the first frame) each of 10,000 rows waited for
it: the last known fleet's read took 0.4 s at start, against 45 ms alone. `quote` writes a
float in full (a cast to text would round it); the values are JSON as stored."""


def _all_items(db: Database, kind: str, host: str) -> list[tuple[str, Any, float, float]]:
    text, count = db.conn.execute(_ALL_ITEMS, (host, kind)).fetchone()
    if not count:
        return []
    try:
        rows = json.loads(text)
    except ValueError:
        rows = None
    if isinstance(rows, list) and len(rows) == count:
        return [(item, value, at, until) for item, value, at, until in rows]
    # A stored value that is not one JSON value: read row by row, as before, to say which.
    found = db.conn.execute(
        "SELECT item, value, stored_at, expires_at FROM entries WHERE host = ? AND kind = ?",
        (host, kind),
    ).fetchall()
    return [(item, json.loads(v), at, until) for item, v, at, until in found]


@dataclass(frozen=True, slots=True)
class Entry:
    value: Any
    """The JSON value as stored (dicts, lists, str, numbers, bool, None)."""
    stored_at: float
    expires_at: float

    def age(self, now: float) -> float:
        """Seconds since the value was stored: what a "cached 40 s ago" label shows."""
        return now - self.stored_at


@dataclass(frozen=True, slots=True)
class CacheStats:
    enabled: bool
    reason: str
    entries: int
    bytes: int
    """Sum of the stored entries' sizes (JSON text and key), the figure the cap applies to."""
    max_bytes: int
    hits: int
    misses: int
    """Every get that returned nothing, expired entries included."""
    expired: int
    """Entries deleted because they were past their TTL (met by a read or trimmed by a write)."""
    evicted: int
    """Entries deleted, least recently used first, to stay under the size cap."""
    writes: int
    invalidated: int

    @property
    def hit_ratio(self) -> float:
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else 0.0


_Found = tuple[str, float, float]
_Row = tuple[str, str, str, str, float, float, float, int]
_Lookup = _Found | Literal["missing", "expired"]

_UPSERT: Final = """
    INSERT INTO entries (host, item, kind, value, stored_at, expires_at, last_used, size)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (host, item, kind) DO UPDATE SET
        value = excluded.value, stored_at = excluded.stored_at,
        expires_at = excluded.expires_at, last_used = excluded.last_used, size = excluded.size
"""
_KEY: Final = "host = ? AND item = ? AND kind = ?"


class Cache:
    """The console's cache. Safe to call from any thread (see `cachefile` for how)."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        ttls: Mapping[str, float] | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ttls: dict[str, float] = {**DEFAULT_TTLS, **(ttls or {})}
        """Seconds per kind: the defaults, with what `ttls` gives (from config) on top."""
        self.max_bytes = max_bytes
        self._clock = clock
        self._counters = Counters()
        self._renewed_at: dict[tuple[str, str], float] = {}
        """When `update_items` last renewed each (kind, host) set."""
        self.file = CacheFile(path, clock=clock)

    @property
    def enabled(self) -> bool:
        return self.file.enabled

    @property
    def reason(self) -> str:
        return self.file.reason

    @property
    def warnings(self) -> list[str]:
        return self.file.warnings

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ reads

    def get(self, kind: str, host: str, item: str = "") -> Entry | None:
        """The fresh entry, or None. An expired entry met here is deleted (expire on read)."""
        now = self._clock()
        missing: _Lookup = "missing"
        found = self.file.run(lambda db: self._lookup(db, (host, item, kind), now), missing)
        if isinstance(found, tuple):
            self._count("hits")
            value, stored_at, expires_at = found
            return Entry(json.loads(value), stored_at, expires_at)
        if found == "expired":
            self._count("expired")
        self._count("misses")
        return None

    def _lookup(self, db: Database, key: tuple[str, str, str], now: float) -> _Lookup:
        # fetchall, not fetchone: it finishes the statement, so its read snapshot is
        # released before the write below (an upgrade from a stale snapshot fails at
        # once with SQLITE_BUSY, busy timeout or not, when another console has written).
        # The connection's own execute: the hot path of a hit, spared the wrapper's checks.
        rows = db.conn.execute(
            f"SELECT value, stored_at, expires_at, last_used FROM entries WHERE {_KEY}", key
        ).fetchall()
        if not rows:
            return "missing"
        value, stored_at, expires_at, last_used = rows[0]
        if expires_at <= now:
            return "expired" if self._expire_on_read(db, key, now) else "missing"
        if now - last_used >= TOUCH_EVERY:
            try:
                db.execute(f"UPDATE entries SET last_used = ? WHERE {_KEY}", (now, *key))
            except sqlite3.OperationalError as exc:
                # Recency only orders evictions: a console holding the lock must not
                # turn this hit into a miss.
                if classify(exc) is not Fault.BUSY:
                    raise
        return (value, stored_at, expires_at)

    def get_items(self, kind: str, host: str) -> dict[str, Entry]:
        """Every fresh item of one kind of a host, in one query (a set kept item by item, such
        as the last known fleet's rows); the expired ones met here are deleted."""
        now = self._clock()
        nothing: tuple[dict[str, Entry], int] = ({}, 0)
        found, expired = self.file.run(lambda db: self._items(db, kind, host, now), nothing)
        if self._counters.add_all({"expired": expired}):
            self.file.run(self._counters.save, None)
        self._count("hits" if found else "misses")
        return found

    @staticmethod
    def _items(db: Database, kind: str, host: str, now: float) -> tuple[dict[str, Entry], int]:
        rows = _all_items(db, kind, host)
        found = {item: Entry(value, at, until) for item, value, at, until in rows if until > now}
        if len(found) == len(rows):
            return found, 0
        with write_transaction(db):
            cur = db.execute(
                "DELETE FROM entries WHERE host = ? AND kind = ? AND expires_at <= ?",
                (host, kind, now),
            )
        return found, cur.rowcount

    @staticmethod
    def _expire_on_read(db: Database, key: tuple[str, str, str], now: float) -> bool:
        with write_transaction(db):
            # Still expired? Another console may have stored a fresh value meanwhile.
            cur = db.execute(f"DELETE FROM entries WHERE {_KEY} AND expires_at <= ?", (*key, now))
        return cur.rowcount > 0

    # ------------------------------------------------------------------ writes

    def put(self, kind: str, host: str, item: str, value: object, ttl: float | None = None) -> None:
        """Store `value` (anything json.dumps accepts; TypeError otherwise) for its kind's TTL."""
        self.put_many(kind, host, {item: value}, ttl)

    def put_many(
        self, kind: str, host: str, values: Mapping[str, object], ttl: float | None = None
    ) -> None:
        """Store several items of one kind at once: one transaction, e.g. a fleet's XML."""
        self.update_items(kind, host, values, (), ttl, renew=False)

    def update_items(
        self,
        kind: str,
        host: str,
        changed: Mapping[str, object],
        removed: Iterable[str] = (),
        ttl: float | None = None,
        *,
        renew: bool = True,
        keep_only: Iterable[str] | None = None,
    ) -> None:
        """Update a set kept item by item in one transaction: store the changed items, delete
        the removed ones (or, with `keep_only`, every item not in it), and with `renew` give
        the unchanged items that have lived half their TTL a full one again (at most every
        quarter TTL): the set is as fresh as its last update, at a cost that follows what
        changed, not the set's size."""
        now = self._clock()
        ttl = self._ttl(kind, ttl)
        gone = list(removed)
        # Renewing reads every item of the set: done once per quarter TTL, it costs nothing
        # per write, and an item stays at least a quarter TTL from its expiry while watched.
        renew_now = renew and now - self._renewed_at.get((kind, host), -ttl) >= ttl / 4
        if renew_now:
            self._renewed_at[(kind, host)] = now
        expires_at = now + ttl
        rows: list[_Row] = []
        too_big: list[_Row] = []
        for item, value in changed.items():
            text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
            size = len(text.encode()) + len(host.encode()) + len(item.encode()) + len(kind)
            row = (host, item, kind, text, now, expires_at, now, size)
            (rows if size <= self.max_bytes else too_big).append(row)

        def store(db: Database) -> dict[str, int]:
            if keep_only is not None:
                keep = set(keep_only) | set(changed)
                listed = db.execute(
                    "SELECT item FROM entries WHERE host = ? AND kind = ?", (host, kind)
                ).fetchall()
                gone.extend(item for (item,) in listed if item not in keep)
            db.conn.executemany(
                f"DELETE FROM entries WHERE {_KEY}", [(host, i, kind) for i in gone]
            )
            if renew_now:
                db.execute(
                    "UPDATE entries SET expires_at = ? "
                    "WHERE expires_at < ? AND host = ? AND kind = ?",
                    (expires_at, now + ttl / 2, host, kind),
                )
            db.conn.executemany(_UPSERT, rows)
            if too_big:
                # A value too big to keep must not leave its older version behind as current.
                db.conn.executemany(f"DELETE FROM entries WHERE {_KEY}", [r[:3] for r in too_big])
            expired = db.execute(
                "DELETE FROM entries WHERE rowid IN (SELECT rowid FROM entries "
                "WHERE expires_at <= ? LIMIT ?)",
                (now, EXPIRED_TRIM_BATCH),
            ).rowcount
            evicted = self._evict(db, {r[:3] for r in rows})
            return {"writes": len(rows), "expired": expired, "evicted": evicted}

        self._write(store)

    def _ttl(self, kind: str, ttl: float | None) -> float:
        if ttl is None:
            try:
                ttl = self.ttls[kind]
            except KeyError:
                raise ValueError(f"no TTL for kind {kind!r}: pass ttl= or add it to ttls") from None
        if not ttl > 0:
            raise ValueError(f"ttl must be positive, got {ttl!r}")
        return ttl

    def _evict(self, db: Database, keep: set[tuple[str, str, str]]) -> int:
        """Delete least recently used entries until the values fit under the cap."""
        ((total,),) = db.execute("SELECT bytes FROM entry_totals WHERE id = 1").fetchall()
        excess = total - self.max_bytes
        if excess <= 0:
            return 0
        victims: list[tuple[int]] = []
        oldest_first = db.execute(
            "SELECT rowid, host, item, kind, size FROM entries ORDER BY last_used, rowid"
        )
        for rowid, host, item, kind, size in oldest_first:
            if (host, item, kind) in keep:
                continue  # what this write just stored is the most recently used
            victims.append((rowid,))
            excess -= size
            if excess <= 0:
                break
        oldest_first.close()
        db.conn.executemany("DELETE FROM entries WHERE rowid = ?", victims)
        return len(victims)

    def invalidate(
        self, host: str, item: str | None = None, kinds: Iterable[str] | None = None
    ) -> int:
        """Delete what an action or event changed; returns how many entries went.

        `item=None` means every item of the host; `kinds=None` means every kind.
        """
        where, params = ["host = ?"], [host]
        if item is not None:
            where.append("item = ?")
            params.append(item)
        if kinds is not None:
            wanted = list(kinds)
            if not wanted:
                return 0
            where.append(f"kind IN ({', '.join('?' * len(wanted))})")
            params.extend(wanted)

        def delete(db: Database) -> dict[str, int]:
            cur = db.execute(f"DELETE FROM entries WHERE {' AND '.join(where)}", params)
            return {"invalidated": cur.rowcount}

        return self._write(delete).get("invalidated", 0)

    def invalidate_items(self, host: str, kinds_by_item: Mapping[str, Iterable[str]]) -> int:
        """`invalidate` for many items of a host in one transaction; returns how many went."""
        wanted = [(item, list(kinds)) for item, kinds in kinds_by_item.items()]

        def delete(db: Database) -> dict[str, int]:
            went = 0
            for item, kinds in wanted:
                if kinds:
                    marks = ", ".join("?" * len(kinds))
                    sql = f"DELETE FROM entries WHERE host = ? AND item = ? AND kind IN ({marks})"
                    went += db.execute(sql, [host, item, *kinds]).rowcount
            return {"invalidated": went}

        return self._write(delete).get("invalidated", 0)

    def clear(self) -> int:
        """Delete every entry (not the metric history, never the audit log); returns how many."""

        def delete(db: Database) -> dict[str, int]:
            return {"cleared": db.execute("DELETE FROM entries").rowcount}

        return self._write(delete).get("cleared", 0)

    def _write(self, body: Callable[[Database], dict[str, int]]) -> dict[str, int]:
        """Run `body` in one write transaction; count what it did once it is committed."""

        def transaction(db: Database) -> dict[str, int]:
            with write_transaction(db):
                return body(db)

        nothing: dict[str, int] = {}
        done = self.file.run(transaction, nothing)
        if self._counters.add_all({k: n for k, n in done.items() if k in COUNTER_NAMES}):
            self.file.run(self._counters.save, None)
        return done

    # ------------------------------------------------------------------ counters

    def _count(self, name: str) -> None:
        if self._counters.add(name):
            self.file.run(self._counters.save, None)

    def stats(self, *, cumulative: bool = False) -> CacheStats:
        """This process's counters, or with `cumulative=True` those of every process so far."""

        def read(db: Database) -> tuple[int, int, dict[str, int]]:
            saved: dict[str, int] = {}
            if cumulative:
                self._counters.save(db)
                saved = self._counters.saved(db)
            ((entries, size),) = db.execute(
                "SELECT entries, bytes FROM entry_totals WHERE id = 1"
            ).fetchall()
            return entries, size, saved

        nothing: tuple[int, int, dict[str, int]] = (0, 0, {})
        entries, size, saved = self.file.run(read, nothing)
        counts = saved if cumulative and saved else self._counters.since_open()
        return CacheStats(
            enabled=self.enabled,
            reason=self.reason,
            entries=entries,
            bytes=size,
            max_bytes=self.max_bytes,
            **{name: counts[name] for name in COUNTER_NAMES},
        )

    def close(self) -> None:
        """Save the counters and close the file (a later call would open it again)."""
        self.file.run(self._counters.save, None)
        self.file.close()
