"""What one host keeps in the SQLite file: its last known fleet, metric history, cached reads.

Every call runs on the store thread (fleet/workers.py), never on a libvirt worker. The cache is
a convenience: when the file fails, the host is still the truth and the console goes on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from limen_tui.fleet.last_known import facts_from_json, facts_to_json, rows_from_json, rows_to_json
from limen_tui.fleet.workers import StoreThread
from limen_tui.model import DomainRow, HostFacts
from limen_tui.store.cache import Cache
from limen_tui.store.history import MetricHistory, Sample
from limen_tui.virt.collector import Tick

log = logging.getLogger("limen_tui.fleet")

Metric = Literal["cpu", "mem", "disk", "net"]
"""A VM's figures kept in the metric history: CPU % of its vCPUs, memory used (KiB), disk
bytes/s (read + write), network bytes/s (rx + tx)."""


def figures_kept(row: DomainRow) -> list[tuple[Metric, float]]:
    """The row's figures worth a sample (a figure the driver did not give is no sample)."""
    kept: list[tuple[Metric, float]] = []
    if row.cpu_pct is not None:
        kept.append(("cpu", row.cpu_pct))
    if row.mem_used_kib is not None:
        kept.append(("mem", float(row.mem_used_kib)))
    if row.disk_rd_bps is not None or row.disk_wr_bps is not None:
        kept.append(("disk", (row.disk_rd_bps or 0.0) + (row.disk_wr_bps or 0.0)))
    if row.net_rx_bps is not None or row.net_tx_bps is not None:
        kept.append(("net", (row.net_rx_bps or 0.0) + (row.net_tx_bps or 0.0)))
    return kept


SAVE_EVERY_S = 30.0
"""The last known fleet is written at most this often (and when VMs vanish, and at the end)."""


@dataclass(frozen=True, slots=True)
class LastKnown:
    rows: list[DomainRow]
    facts: HostFacts | None
    saved_at: float | None


class HostStore:
    def __init__(
        self,
        key: str,
        cache: Cache | None,
        history: MetricHistory | None,
        thread: StoreThread | None = None,
    ) -> None:
        self.key = key
        self.thread = thread or StoreThread()
        self.cache = cache
        self.history = history
        self._saved_at = 0.0

    @property
    def saved_once(self) -> bool:
        return self._saved_at > 0.0

    async def last_known(self) -> LastKnown | None:
        cache, key = self.cache, self.key
        if cache is None:
            return None

        def read() -> LastKnown | None:
            fleet = cache.get("fleet", key)
            facts = cache.get("host_facts", key)
            if fleet is None and facts is None:
                return None
            return LastKnown(
                rows_from_json(fleet.value) if fleet is not None else [],
                facts_from_json(facts.value) if facts is not None else None,
                fleet.stored_at if fleet is not None else None,
            )

        try:
            return await self.thread.run(read, 5.0)
        except Exception as exc:  # the cache is a convenience; the host is the truth
            log.info("%s: no last known fleet: %s", key, exc)
            return None

    def _writer(self, rows: Sequence[DomainRow], facts: HostFacts | None) -> Callable[[], None]:
        cache, key, rows = self.cache, self.key, list(rows)

        def write() -> None:
            if cache is None:
                return
            cache.put("fleet", key, "", rows_to_json(rows))
            if facts is not None:
                cache.put("host_facts", key, "", facts_to_json(facts))

        return write

    def save_fleet(
        self, rows: Sequence[DomainRow], facts: HostFacts | None, *, force: bool = False
    ) -> None:
        """Keep the fleet for the next start; at most every 30 s unless `force`."""
        now = time.monotonic()
        if self.cache is None or (not force and now - self._saved_at < SAVE_EVERY_S):
            return
        self._saved_at = now
        self.thread.later(self._writer(rows, facts))

    async def save_now(self, rows: Sequence[DomainRow], facts: HostFacts | None) -> None:
        if self.cache is None or not self.saved_once:
            return  # nothing live to keep yet
        try:
            await self.thread.run(self._writer(rows, facts), 5.0)
        except Exception as exc:
            log.info("%s: last known fleet not saved: %s", self.key, exc)

    def record_tick(self, tick: Tick, rows: Sequence[DomainRow] | None = None) -> None:
        """Keep CPU %, memory used, disk and network bytes/s per VM (of `rows`, else the
        tick's changed rows) and the tick's cost per host, for the graphs and after restarts."""
        history = self.history
        if history is None:
            return
        now, key = time.time(), self.key
        samples: list[Sample] = [
            (key, r.uuid, metric, now, value)
            for r in (tick.changed if rows is None else rows)
            for metric, value in figures_kept(r)
        ]
        samples.append((key, "", "refresh_ms", now, tick.seconds * 1000))
        self.thread.later(lambda: history.append_many(samples))

    async def history_since(
        self, uuid: str, metric: Metric, seconds: float
    ) -> list[tuple[float, float]]:
        history, key = self.history, self.key
        if history is None:
            return []
        since = time.time() - seconds
        return await self.thread.run(lambda: history.since(key, uuid, metric, since))

    async def cpu_history(self, uuid: str, points: int = 40) -> list[float]:
        history, key = self.history, self.key
        if history is None:
            return []
        series = await self.thread.run(lambda: history.series(key, uuid, "cpu", points))
        return [value for _ts, value in series]

    def invalidate(self, uuid: str, kinds: tuple[str, ...] | None) -> None:
        """Forget what changed; () forgets nothing, None everything of that VM."""
        cache, key = self.cache, self.key
        if cache is None or kinds == ():
            return
        self.thread.later(lambda: cache.invalidate(key, uuid, kinds))

    async def get(self, kind: str, item: str = "") -> Any | None:
        """A cached value while fresh (an expired one is deleted by this read), else None."""
        cache, key = self.cache, self.key
        if cache is None:
            return None
        entry = await self.thread.run(lambda: cache.get(kind, key, item))
        return None if entry is None else entry.value

    def put(self, kind: str, value: object, item: str = "") -> None:
        cache, key = self.cache, self.key
        if cache is not None:
            self.thread.later(lambda: cache.put(kind, key, item, value))
