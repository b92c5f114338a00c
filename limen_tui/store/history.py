"""Metric history (CPU %, memory, rates per host or VM) kept on disk in the cache file.

So a sparkline has its past after the console restarts. Samples are stored in time
order, which makes appending a tick and trimming old samples touch only the ends of the
table (a console appending every 2 s for a week must not rewrite megabytes per tick),
at the price of `series` scanning recent samples of every series of the file to pick
one: a few milliseconds, for a call made when a view opens, not per tick.

Bounded two ways, both trimmed by the writes themselves, never by a timer: samples older
than the retention are deleted (in bounded batches, so the first write after a long
absence stays quick, while reads already ignore what is left over), and the oldest go
first when the total exceeds `max_samples` (checked once per tenth of it appended).
Faults behave as the cache's: see `cachefile`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Final

from sqlite_utils import Database

from limen_tui.store.cachefile import CacheFile
from limen_tui.store.sqlitefile import write_transaction

DEFAULT_RETENTION_S: Final = 3600.0
DEFAULT_MAX_SAMPLES: Final = 1_000_000
"""About 20 MB on disk (15-21 bytes a sample, benchmarks/cache.py); a 2 s tick of 5 metrics
for 100 VMs fills it in about an hour."""

RETENTION_TRIM_BATCH: Final = 5000

Sample = tuple[str, str, str, float, float]
"""(host, subject, metric, ts, value); subject is a VM's UUID, or "" for the host itself."""

_ADD_SERIES: Final = """
    INSERT INTO series (host, subject, metric) VALUES (?, ?, ?)
    ON CONFLICT (host, subject, metric) DO NOTHING
"""
_INSERT: Final = """
    INSERT INTO samples (ts, series, value)
    SELECT ?, id, ? FROM series WHERE host = ? AND subject = ? AND metric = ?
    ON CONFLICT (ts, series) DO UPDATE SET value = excluded.value
"""


class MetricHistory:
    """Time series per (host, subject, metric), in the same file as the cache."""

    def __init__(
        self,
        file: CacheFile,
        *,
        retention_s: float = DEFAULT_RETENTION_S,
        max_samples: int = DEFAULT_MAX_SAMPLES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.file = file
        self.retention_s = retention_s
        self.max_samples = max_samples
        self._clock = clock
        self._unchecked = max_samples  # check the cap at the first append

    def append(self, host: str, subject: str, metric: str, ts: float, value: float) -> None:
        self.append_many([(host, subject, metric, ts, value)])

    def append_many(self, samples: Iterable[Sample]) -> None:
        """Store a tick's worth of samples in one transaction, then trim.

        A sample already past the retention is dropped; a second sample with the same
        timestamp replaces the first.
        """
        cutoff = self._clock() - self.retention_s
        rows = [
            (float(ts), float(value), host, subject, metric)
            for host, subject, metric, ts, value in samples
            if ts >= cutoff
        ]
        names = {row[2:] for row in rows}

        def store(db: Database) -> None:
            with write_transaction(db):
                db.conn.executemany(_ADD_SERIES, names)
                db.conn.executemany(_INSERT, rows)
                db.execute(
                    "DELETE FROM samples WHERE (ts, series) IN (SELECT ts, series FROM samples "
                    "WHERE ts < ? ORDER BY ts LIMIT ?)",
                    (cutoff, RETENTION_TRIM_BATCH),
                )
                self._unchecked += len(rows)
                if self._unchecked >= self.max_samples // 10:
                    # Counting walks the table, so do it once per tenth of the cap appended
                    # (at most 10% over the cap) rather than keep a running total by
                    # trigger, which doubled the cost of every append.
                    self._unchecked = 0
                    ((total,),) = db.execute("SELECT count(*) FROM samples").fetchall()
                    if total > self.max_samples:
                        db.execute(
                            "DELETE FROM samples WHERE (ts, series) IN ("
                            "SELECT ts, series FROM samples ORDER BY ts LIMIT ?)",
                            (total - self.max_samples,),
                        )

        self.file.run(store, None)

    def series(
        self, host: str, subject: str, metric: str, limit: int = 100
    ) -> list[tuple[float, float]]:
        """The newest `limit` (ts, value) pairs within the retention, oldest first."""
        cutoff = self._clock() - self.retention_s

        def read(db: Database) -> list[tuple[float, float]]:
            found = db.execute(
                "SELECT id FROM series WHERE host = ? AND subject = ? AND metric = ?",
                (host, subject, metric),
            ).fetchall()
            if not found:
                return []  # unknown series: spare the scan
            rows = db.execute(
                "SELECT ts, value FROM samples WHERE series = ? AND ts >= ? "
                "ORDER BY ts DESC LIMIT ?",
                (found[0][0], cutoff, limit),
            ).fetchall()
            return [(ts, value) for ts, value in reversed(rows)]

        return self.file.run(read, [])

    def since(
        self, host: str, subject: str, metric: str, since: float
    ) -> list[tuple[float, float]]:
        """Every (ts, value) of one series from `since` on (within the retention), oldest
        first: a graph's window (5 minutes, an hour)."""
        since = max(since, self._clock() - self.retention_s)

        def read(db: Database) -> list[tuple[float, float]]:
            found = db.execute(
                "SELECT id FROM series WHERE host = ? AND subject = ? AND metric = ?",
                (host, subject, metric),
            ).fetchall()
            if not found:
                return []
            rows = db.execute(
                "SELECT ts, value FROM samples WHERE series = ? AND ts >= ? ORDER BY ts",
                (found[0][0], since),
            ).fetchall()
            return [(ts, value) for ts, value in rows]

        return self.file.run(read, [])

    def recent(self, host: str, since: float) -> dict[tuple[str, str], list[tuple[float, float]]]:
        """Every series of `host` from `since` on, keyed by (subject, metric), oldest first.

        One pass over the window for all of a host's series: what warming up the
        sparklines at start-up wants, instead of one `series` scan per VM.
        """
        since = max(since, self._clock() - self.retention_s)

        def read(db: Database) -> dict[tuple[str, str], list[tuple[float, float]]]:
            found: dict[tuple[str, str], list[tuple[float, float]]] = {}
            for subject, metric, ts, value in db.execute(
                "SELECT r.subject, r.metric, s.ts, s.value FROM samples AS s "
                "JOIN series AS r ON r.id = s.series WHERE s.ts >= ? AND r.host = ? "
                "ORDER BY s.ts",
                (since, host),
            ):
                found.setdefault((subject, metric), []).append((ts, value))
            return found

        return self.file.run(read, {})

    def forget(self, host: str, subject: str | None = None) -> int:
        """Forget the series of a removed VM (or of a whole host); returns how many.

        Only the names go at once; their samples are no longer reachable and leave with
        the retention, which spares a scan of the whole table here.
        """
        where = "host = ?" if subject is None else "host = ? AND subject = ?"
        params = (host,) if subject is None else (host, subject)

        def delete(db: Database) -> int:
            with write_transaction(db):
                return db.execute(f"DELETE FROM series WHERE {where}", params).rowcount

        return self.file.run(delete, 0)

    def count(self) -> int:
        """Samples stored, expired and forgotten ones not yet trimmed included."""

        def read(db: Database) -> int:
            ((total,),) = db.execute("SELECT count(*) FROM samples").fetchall()
            return int(total)

        return self.file.run(read, 0)
