"""What one host keeps in the SQLite file: its last known fleet, metric history, cached reads.

Every call runs on the store thread (fleet/workers.py), never on a libvirt worker. The cache is
a convenience: when the file fails, the host is still the truth and the console goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Literal

from limen_tui.fleet.last_known import (
    MARKER,
    fleet_from_items,
    kept_values,
    marker_to_json,
    row_to_json,
)
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
FLEET_HISTORY_EVERY_S = 60.0
"""A VM off screen keeps one history sample a minute (enough for the hour's graph); one on
screen every tick."""


@dataclass(frozen=True, slots=True)
class LastKnown:
    rows: list[DomainRow]
    facts: HostFacts | None
    saved_at: float | None


FORGET_EVERY_S = 0.5
"""How often what events made stale is deleted from the cache file (one transaction)."""


class HostStore:
    def __init__(
        self,
        key: str,
        cache: Cache | None,
        history: MetricHistory | None,
        thread: StoreThread | None = None,
        *,
        save_every_s: float = SAVE_EVERY_S,
    ) -> None:
        self.key = key
        self.thread = thread or StoreThread()
        self.cache = cache
        self.history = history
        self.save_every_s = save_every_s
        self._saved_at = 0.0
        self._changed: dict[str, DomainRow] = {}
        """Rows changed since the last write, by uuid (the newest version of each)."""
        self._removed: set[str] = set()
        self._kept: dict[str, tuple[object, ...]] = {}
        """What the file has (or will have once written) of each row, by uuid."""
        self._facts: HostFacts | None = None
        """The facts as last written (the marker is rewritten when they change)."""
        self._recorded: dict[str, float] = {}
        """When each VM's history was last sampled."""
        self.clock: Callable[[], float] = time.time
        self._forget: dict[str, set[str]] = {}
        """What events made stale, by VM, not yet deleted from the cache (see `invalidate`)."""
        self._forget_queued = False
        self._forget_lock = threading.Lock()
        self._ahead: Future[LastKnown | None] | None = None
        """The last known fleet's read started at start-up (`read_ahead`), not yet taken."""

    @property
    def saved_once(self) -> bool:
        return self._saved_at > 0.0

    def read_ahead(self) -> None:
        """Start reading the last known fleet now, while the console starts: the next
        `last_known` takes this read's answer. At 10,000 VMs the read took 0.4 s once it
        shared the process with the first frame's work, which it now mostly precedes."""
        if self.cache is not None and self._ahead is None:
            self._ahead = self.thread.ahead(self._read_last_known)

    def _read_last_known(self) -> LastKnown | None:
        cache, key = self.cache, self.key
        if cache is None:
            return None
        entries = cache.get_items("fleet", key)
        known = fleet_from_items({item: e.value for item, e in entries.items()})
        if known is None:
            return None
        return LastKnown(known[0], known[1], entries[MARKER].stored_at)

    async def last_known(self) -> LastKnown | None:
        """The host's rows and facts as last written: one query (expired entries deleted)."""
        if self.cache is None:
            return None
        ahead, self._ahead = self._ahead, None
        try:
            if ahead is not None:
                return await asyncio.wait_for(asyncio.wrap_future(ahead), 5.0)
            return await self.thread.run(self._read_last_known, 5.0)
        except Exception as exc:  # the cache is a convenience; the host is the truth
            log.info("%s: no last known fleet: %s", self.key, exc)
            return None

    def save_fleet(
        self,
        changed: Iterable[DomainRow],
        removed: Iterable[str],
        facts: HostFacts | None,
        rows: Mapping[str, DomainRow],
        *,
        force: bool = False,
    ) -> None:
        """Note what changed (uuids in `removed` went) and, at most every `save_every_s` unless
        `force` or a VM went, write it on the store thread. A write costs the rows that changed
        since the last one; only the first also lists `rows` (the host's, by uuid), to drop
        what the file kept of VMs that went while no console watched."""
        if self.cache is None:
            return
        kept = self._kept
        for row in changed:
            values = kept_values(row)
            if kept.get(row.uuid) == values:
                continue  # only its figures moved: the file keeps none
            kept[row.uuid] = values
            self._changed[row.uuid] = row
            self._removed.discard(row.uuid)
        for uuid in removed:
            kept.pop(uuid, None)
            self._changed.pop(uuid, None)
            self._removed.add(uuid)
        now = time.monotonic()
        first = not self.saved_once
        if not (force or first or self._removed or now - self._saved_at >= self.save_every_s):
            return
        self._saved_at = now
        self.thread.later(self._writer(facts, list(rows) if first else None))

    async def save_now(self, facts: HostFacts | None) -> None:
        """Write what changed since the last write, and wait for it (at the end)."""
        if self.cache is not None and self._forget:
            with contextlib.suppress(Exception):  # said by the cache's own error counters
                await self.thread.run(self._forget_now, 5.0)
        if self.cache is None or not self.saved_once:
            return  # nothing live to keep yet
        try:
            await self.thread.run(self._writer(facts, None), 5.0)
        except Exception as exc:
            log.info("%s: last known fleet not saved: %s", self.key, exc)

    def _writer(self, facts: HostFacts | None, keep_only: list[str] | None) -> Callable[[], None]:
        """The write of what changed so far; the rows become JSON on the store thread."""
        cache, key = self.cache, self.key
        changed, self._changed = self._changed, {}
        removed, self._removed = self._removed, set()
        marker = facts != self._facts or keep_only is not None
        self._facts = facts

        def write() -> None:
            if cache is None:
                return
            values: dict[str, object] = {u: row_to_json(r) for u, r in changed.items()}
            if marker or values or removed:
                values[MARKER] = marker_to_json(facts)  # the fleet's time and the host's facts
            cache.update_items("fleet", key, values, removed, keep_only=keep_only)

        return write

    def record_tick(
        self,
        tick: Tick,
        rows: Sequence[DomainRow] | None = None,
        *,
        on_screen: frozenset[str] | None = None,
    ) -> None:
        """Keep CPU %, memory used, disk and network bytes/s per VM (of `rows`, else the
        tick's changed rows) and the tick's cost per host, for the graphs and after restarts.
        With `on_screen` (the VMs the operator sees), the rest keep one sample every
        FLEET_HISTORY_EVERY_S: a fleet's history costs what its screen costs."""
        history = self.history
        if history is None:
            return
        now, key, last = self.clock(), self.key, self._recorded
        for uuid in tick.removed:
            last.pop(uuid, None)
        due = now - FLEET_HISTORY_EVERY_S
        kept = [
            r
            for r in (tick.changed if rows is None else rows)
            if on_screen is None or r.uuid in on_screen or last.get(r.uuid, due) <= due
        ]
        samples: list[Sample] = []
        for r in kept:
            last[r.uuid] = now
            samples.extend((key, r.uuid, metric, now, value) for metric, value in figures_kept(r))
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
        """Forget what changed; () forgets nothing, None everything of that VM but its row of
        the last known fleet (that follows the rows: written when they change)."""
        cache = self.cache
        if cache is None or kinds == ():
            return
        if kinds is None:
            kinds = tuple(kind for kind in cache.ttls if kind != "fleet")
        # A storm of events is one write every FORGET_EVERY_S, not one an event: what is
        # forgotten waits here, and a read of it meanwhile is a miss (see `get`).
        with self._forget_lock:
            self._forget.setdefault(uuid, set()).update(kinds)
            if self._forget_queued:
                return
            self._forget_queued = True

        asyncio.get_running_loop().call_later(FORGET_EVERY_S, self.thread.later, self._forget_now)

    def _forget_now(self) -> None:
        """Delete what is waiting to be forgotten (on the store thread)."""
        with self._forget_lock:
            items, self._forget, self._forget_queued = self._forget, {}, False
        if items and self.cache is not None:
            self.cache.invalidate_items(self.key, items)

    async def get(self, kind: str, item: str = "") -> Any | None:
        """A cached value while fresh (an expired one is deleted by this read), else None."""
        cache, key = self.cache, self.key
        if cache is None:
            return None
        with self._forget_lock:
            if kind in self._forget.get(item, ()):
                return None  # an event or action made it stale; its delete is on its way
        entry = await self.thread.run(lambda: cache.get(kind, key, item))
        return None if entry is None else entry.value

    def put(self, kind: str, value: object, item: str = "") -> None:
        cache, key = self.cache, self.key
        if cache is not None:
            self.thread.later(lambda: cache.put(kind, key, item, value))
