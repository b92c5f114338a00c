"""One tick of counters: one bulk stats call, rates from the last tick, and what changed.

Blocking: runs in the host's worker thread. Owns its state; the event loop never touches it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

import libvirt

from limen_tui.model import DomainCounters, DomainRow
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.connection import describe_error
from limen_tui.virt.rates import domain_row
from limen_tui.virt.stats import TABLE_GROUPS, parse_record
from limen_tui.virt.tags import labels_from_xml

log = logging.getLogger(__name__)

NOWAIT = getattr(libvirt, "VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT", 1 << 29)
LIST_AUTOSTART = getattr(libvirt, "VIR_CONNECT_LIST_DOMAINS_AUTOSTART", 1 << 10)
LIST_PERSISTENT = getattr(libvirt, "VIR_CONNECT_LIST_DOMAINS_PERSISTENT", 1 << 2)


DISCOVERY_PER_TICK = 64
"""Definitions read per tick for domains the bulk stats say too little about."""


@dataclass(frozen=True, slots=True)
class Tick:
    """What one tick found: rows that changed since the last tick and rows that vanished."""

    host: str
    started: float
    """time.monotonic() when the bulk call was sent; events after this are newer."""
    changed: list[DomainRow]
    removed: list[str]
    total: int
    calls: dict[str, int]
    """Calls every tick makes (the bulk stats call)."""
    discovery_calls: dict[str, int] = field(default_factory=dict)
    """Calls made only because the set of domains changed (flags and definitions of new VMs)."""
    seconds: float = 0.0
    present: frozenset[str] | None = None
    """Every domain the bulk call listed (None: not a full listing, e.g. the last known fleet)."""
    labels_unread: int = 0
    """Domains whose tags and OS are not read yet (read for the rows on screen, and for the
    whole fleet only once the operator filters or groups by them)."""

    @property
    def call_count(self) -> int:
        return sum(self.calls.values()) + sum(self.discovery_calls.values())


class DomainCollector:
    """Turns one `getAllDomainStats` per tick into keyed rows and a diff against the last tick."""

    def __init__(
        self, conn: libvirt.virConnect, host: str, host_cpus: int | None, calls: CallCounter
    ) -> None:
        self._conn = conn
        self._host = host
        self._host_cpus = host_cpus
        self._calls = calls
        self._nowait = True
        self._prev: dict[str, DomainCounters] = {}
        self._prev_at = 0.0
        self._last_rows: dict[str, DomainRow] = {}
        self._last_stats: dict[str, object] = {}
        self._settled: set[str] = set()
        """Domains whose last row came from stats equal to the tick before: an identical
        record again gives an identical row (no counter moved, all rates 0 or unknown)."""
        self._autostart: set[str] = set()
        self._persistent: set[str] = set()
        self._hints: dict[str, tuple[int | None, int | None]] = {}
        self._unread: dict[str, libvirt.virDomain] = {}
        self._labels: dict[str, tuple[tuple[str, ...], str | None]] = {}
        """Tags and OS by domain, read from its XML once, again when its metadata changed."""
        self._unlabelled: dict[str, libvirt.virDomain] = {}
        self._relabel: set[str] = set()
        """New domains whose definition is still to be read (a few per tick, see below)."""
        self.reuse_unchanged = True
        """Reuse the row of a domain whose stats did not change (off only to benchmark)."""
        self.membership_dirty = True
        """Set (from any thread) when domains were defined or undefined; re-reads flags once."""
        self.on_screen: frozenset[str] | None = None
        """The domains the operator sees (set from any thread, as a whole): the only ones whose
        missing sizes and tags are read one by one. None (`list`, scripts): every domain, in
        turn."""
        self.made_up: Callable[[Iterable[DomainRow], float], list[DomainRow]] | None = None
        """A test-only stats source (the demo's made-up figures, fleet/demo_activity.py): laid
        over every row each tick, here in the worker where a real source's figures are made,
        so the rows it moves reach the loop as changed rows like any others. None: none."""
        self.labels_for_all = False
        """Read every domain's tags and OS, in turn (set from any thread when the operator
        filters or groups by them)."""

    def adopt_rows(self, rows: dict[str, DomainRow]) -> None:
        """Continue diffing from rows already shown (after a reconnect), so vanished VMs go."""
        self._last_rows = dict(rows)

    def _bulk_stats(self) -> list[tuple[libvirt.virDomain, dict[str, object]]]:
        flags = NOWAIT if self._nowait else 0
        self._calls.record("getAllDomainStats")
        try:
            return list(self._conn.getAllDomainStats(TABLE_GROUPS, flags))
        except libvirt.libvirtError as exc:
            if not self._nowait or exc.get_error_code() not in (
                libvirt.VIR_ERR_INVALID_ARG,
                libvirt.VIR_ERR_NO_SUPPORT,
                libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED,
            ):
                raise
            log.debug(
                "%s: NOWAIT not supported (%s); asking without it", self._host, describe_error(exc)
            )
            self._nowait = False
            return self._bulk_stats()

    def _uuids(self, flag: int) -> set[str]:
        self._calls.record("listAllDomains")
        return {d.UUIDString() for d in self._conn.listAllDomains(flag)}

    def _refresh_membership(self) -> None:
        # Autostart and persistence are not in the bulk stats; two list calls answer them for
        # every domain at once, and only when the set of domains changed.
        self._autostart = self._uuids(LIST_AUTOSTART)
        self._persistent = self._uuids(LIST_PERSISTENT)

    def _read_definitions(self) -> set[str]:
        """Drivers without vcpu/balloon stats (the test driver): read the sizes of the new
        domains that are on screen (`on_screen`), at most DISCOVERY_PER_TICK a tick, from their
        definitions. The rest show "n/a" until they are scrolled to: never one call per domain
        for the whole fleet (a host of 10,000 VMs costs what a screen of them costs)."""
        read: set[str] = set()
        shown = self.on_screen
        wanted = list(self._unread) if shown is None else [u for u in shown if u in self._unread]
        for uuid in wanted[:DISCOVERY_PER_TICK]:
            dom = self._unread.pop(uuid)
            self._calls.record("info (discovery)")
            try:
                _state, max_mem, _mem, nvcpu, _cpu = dom.info()
                self._hints[uuid] = (nvcpu, max_mem)
            except libvirt.libvirtError:
                self._hints[uuid] = (None, None)
            read.add(uuid)
        return read

    def relabel(self, uuid: str) -> None:
        """The domain's metadata changed (any thread): read its tags again next tick."""
        self._relabel = self._relabel | {uuid}

    def _read_labels(self, doms: dict[str, libvirt.virDomain]) -> set[str]:
        """Tags and OS of the domains on screen not read yet and of those whose metadata
        changed: one XMLDesc each, at most DISCOVERY_PER_TICK a tick. The rest of the fleet
        only when the operator asked (`labels_for_all`) or nothing says what is on screen:
        then over a few ticks, once. Never one call per domain of the fleet per tick."""
        again, self._relabel = self._relabel, set()
        for uuid in again:
            if uuid in doms:
                self._unlabelled[uuid] = doms[uuid]
        shown = self.on_screen
        first = [u for u in again if u in self._unlabelled]
        first += [u for u in shown or () if u in self._unlabelled and u not in again]
        if shown is None or self.labels_for_all:
            first += list(self._unlabelled)
        wanted = list(dict.fromkeys(first))[:DISCOVERY_PER_TICK]
        read: set[str] = set()
        for uuid in wanted:
            dom = self._unlabelled.pop(uuid)
            self._calls.record("XMLDesc (tags)")
            try:
                labels = labels_from_xml(str(dom.XMLDesc(0)))
            except libvirt.libvirtError:
                labels = ((), None)
            if self._labels.get(uuid) != labels:
                read.add(uuid)
            self._labels[uuid] = labels
        return read

    def collect(self) -> Tick:
        before = self._calls.tally()
        started = time.monotonic()
        records = self._bulk_stats()
        # The counters were read somewhere inside the call: its middle is their time (a call
        # slowed by a busy host would otherwise stretch one interval and shrink the next).
        now = (started + time.monotonic()) / 2
        counters: dict[str, DomainCounters] = {}
        new: list[tuple[libvirt.virDomain, DomainCounters]] = []
        reused: dict[str, DomainRow] = {}
        stats_by_uuid: dict[str, object] = {}
        last_stats, settled = self._last_stats, self._settled
        doms: dict[str, libvirt.virDomain] = {}
        for dom, stats in records:
            uuid = dom.UUIDString()
            stats_by_uuid[uuid] = stats
            doms[uuid] = dom
            if uuid not in self._labels and uuid not in self._unlabelled:
                self._unlabelled[uuid] = dom
            same = last_stats.get(uuid) == stats
            if same and self.reuse_unchanged and uuid in settled and uuid in self._last_rows:
                reused[uuid] = self._last_rows[uuid]
                counters[uuid] = self._prev[uuid]
                continue
            if same:
                settled.add(uuid)
            else:
                settled.discard(uuid)
            c = parse_record(uuid, dom.name(), stats)
            counters[uuid] = c
            if uuid not in self._prev and uuid not in self._hints:
                new.append((dom, c))
                if c.vcpus is None or c.mem_max_kib is None:
                    self._unread[uuid] = dom
        mid = self._calls.tally()
        # Flags (autostart, persistence) re-read this tick can change any row, so no reuse.
        membership_changed = bool(new) or self.membership_dirty
        if membership_changed:
            self.membership_dirty = False
            self._refresh_membership()
        hinted = self._read_definitions() | self._read_labels(doms)
        seconds = now - self._prev_at
        changed: list[DomainRow] = []
        rows: dict[str, DomainRow] = {}
        for uuid, c in counters.items():
            if uuid in reused and not membership_changed and uuid not in hinted:
                rows[uuid] = reused[uuid]
                continue
            vcpus_hint, mem_hint = self._hints.get(uuid, (None, None))
            row = domain_row(
                self._host,
                c,
                self._prev.get(uuid),
                seconds,
                self._host_cpus,
                autostart=uuid in self._autostart,
                persistent=uuid in self._persistent,
                vcpus_hint=vcpus_hint,
                mem_max_hint_kib=mem_hint,
            )
            tags, os_name = self._labels.get(uuid, ((), None))
            if tags or os_name:
                row = replace(row, tags=tags, os=os_name)
            rows[uuid] = row
            if self._last_rows.get(uuid) != row:
                changed.append(row)
        if self.made_up is not None:
            by_uuid = {r.uuid: r for r in changed}
            for made in self.made_up(list(rows.values()), now):
                rows[made.uuid] = made
                if self._last_rows.get(made.uuid) != made:
                    by_uuid[made.uuid] = made
                else:
                    by_uuid.pop(made.uuid, None)
            changed = list(by_uuid.values())
        removed = [uuid for uuid in self._last_rows if uuid not in rows]
        for uuid in removed:
            self._hints.pop(uuid, None)
            self._unread.pop(uuid, None)
            self._labels.pop(uuid, None)
            self._unlabelled.pop(uuid, None)
            self._settled.discard(uuid)
        self._prev, self._prev_at, self._last_rows = counters, now, rows
        self._last_stats = stats_by_uuid
        return Tick(
            host=self._host,
            started=started,
            changed=changed,
            removed=removed,
            total=len(rows),
            calls=CallCounter.since(before, mid),
            discovery_calls=CallCounter.since(mid, self._calls.tally()),
            seconds=time.monotonic() - started,
            present=frozenset(rows),
            labels_unread=len(self._unlabelled),
        )
