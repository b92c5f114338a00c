"""One hypervisor host and everything the console keeps of it, each part with one job.

- `LibvirtLink` (link.py): the connection, its events and ticks, reconnecting;
- `RowBook` (row_book.py): the VMs' rows, ticks and events reconciled (pure);
- `ActionRunner` (runner.py): actions, confirmed by their events, audited;
- `HostStore` (host_store.py): last known fleet, metric history, cached reads (store thread);
- its storage pools, volumes and networks (host_resources.py), changed through the runner;
- the host's SSH link, health monitor and log sources.

Everything here runs on the consumer's asyncio loop; blocking calls go to the host's own
workers (workers.py), so a slow or dead host only ever stalls itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, TypeVar

import libvirt

from limen_tui.config.settings import Settings
from limen_tui.fleet.cache_policy import invalidated_by_event
from limen_tui.fleet.demo_activity import STEP_EVERY_S, DemoActivity
from limen_tui.fleet.host_resources import HostResources
from limen_tui.fleet.host_store import HostStore
from limen_tui.fleet.link import LibvirtLink
from limen_tui.fleet.logs import HostLogs
from limen_tui.fleet.noisy import NoisyRule, NoisyWatch, said
from limen_tui.fleet.operations import AuditSink, Operation
from limen_tui.fleet.row_book import RowBook
from limen_tui.fleet.runner import ActionRunner
from limen_tui.fleet.self_cost import RefreshPace
from limen_tui.fleet.table_addresses import AddressRounds
from limen_tui.fleet.updates import (
    DomainEventArrived,
    DomainsRefreshed,
    FleetUpdate,
    HostStatusChanged,
    OperationChanged,
    Publish,
)
from limen_tui.fleet.vm_changes import clone_operation, create_operation
from limen_tui.fleet.vm_recent import VmRecent
from limen_tui.fleet.workers import HostWorkers, StoreThread
from limen_tui.hosts.monitor import HealthMonitor, HealthSettings
from limen_tui.model import DomainEvent, DomainRow, HostFacts, HostStatus, LinkState
from limen_tui.model.vm_spec import VmSpec
from limen_tui.store.cache import Cache
from limen_tui.store.history import MetricHistory
from limen_tui.virt.addresses import host_leases, interface_macs, table_addresses
from limen_tui.virt.addresses import read_local_neighbours as local_neighbours
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.collector import DomainCollector, Tick

if TYPE_CHECKING:  # asyncssh loads only for a host over SSH (fleet.py builds the link)
    from limen_tui.hosts.ssh import SshLink

log = logging.getLogger("limen_tui.fleet")  # one name for the whole fleet in the own log
T = TypeVar("T")


def _demo_step(conn: libvirt.virConnect, uuid: str, what: str) -> None:
    dom = conn.lookupByUUIDString(uuid)
    if what == "pause":
        dom.suspend()
    else:
        dom.resume()


def _drop(_update: FleetUpdate) -> None:
    """The sink before a consumer is bound: nothing listens yet."""


class Host(HostResources):
    """Everything the console keeps for one hypervisor host."""

    def __init__(
        self,
        uri: str,
        publish: Publish | None = None,
        settings: Settings | None = None,
        *,
        key: str | None = None,
        demo: bool = False,
        local: bool = True,
        cache: Cache | None = None,
        history: MetricHistory | None = None,
        audit: AuditSink | None = None,
        ssh: SshLink | None = None,
        health: HealthSettings | None = None,
        activity: bool = False,
        store: StoreThread | None = None,
        pace: RefreshPace | None = None,
    ) -> None:
        """`health`: sample this host's health with these settings (here with psutil when
        `local`, else over `ssh`); None samples nothing.
        `activity`: a demo host that comes alive (made-up counters, lifecycle calls); refused
        for anything but libvirt's test driver."""
        self.uri = uri
        self.key = key or uri
        self.settings = settings or Settings()
        self.calls = CallCounter()
        self._publish: Publish = publish or _drop
        self.workers = HostWorkers(
            self.key, self.settings.workers_per_host, self.settings.call_timeout
        )
        self.migration_workers = HostWorkers(
            f"{self.key}-migrate", max(2, self.settings.bulk_concurrency), 24 * 3600.0
        )
        """Outgoing migrations: each call blocks for the whole transfer, off the host's pool."""
        self._watchers: list[Callable[[DomainEvent], None]] = []
        self.book = RowBook(self.key)
        self._own_store = store is None
        self.store = HostStore(self.key, cache, history, store)
        self.link = LibvirtLink(
            self.key,
            uri,
            self.settings,
            self.workers,
            self.calls,
            self,
            known_hosts=ssh.target.known_hosts if ssh is not None else None,
            pace=pace,
        )
        self.runner = ActionRunner(
            self.key,
            self.settings,
            self.workers,
            self.calls,
            self.store,
            report=self.report,
            conn=lambda: self.link.conn,
            state=lambda: (self.status.state, self.status.reason),
            rows=lambda: self.book.rows,
            changed_flags=self._reread_flags,
        )
        self.runner.audit = audit
        self.ssh = ssh
        self.health = (
            None
            if health is None or (not local and ssh is None)
            else HealthMonitor(self.key, self._forward, health, link=None if local else ssh)
        )
        self.logs = HostLogs(self.key, local, ssh)
        self._task: asyncio.Task[None] | None = None
        self.activity = DemoActivity() if activity and DemoActivity.allowed(uri) else None
        self._on_screen: frozenset[str] | None = None
        self._labels_for_all = False
        self.labels_unread = 0
        """VMs whose tags and OS are not read yet (as of the last tick)."""
        """What the operator sees of this host (None until a screen says: every VM, in turn)."""
        s = self.settings
        self.recent = VmRecent()
        """Each VM's recent events and finished operations (the VM screen's Events tab)."""
        self.address_rounds = AddressRounds()
        """Which rows on screen are due an address (fleet/table_addresses.py)."""
        self.noisy = NoisyWatch(
            NoisyRule("cpu", s.noisy_threshold_pct, s.noisy_hold_s, s.noisy_clear_samples)
        )
        """Noisy neighbours on this host: VMs above their share of its CPU for long."""
        self.status = HostStatus(
            key=self.key,
            uri=uri,
            state=LinkState.CONNECTING,
            since=time.time(),
            demo=demo,
            readonly=self.settings.readonly,
        )

    def bind(self, publish: Publish) -> None:
        """Where updates go from now on (the app binds its sink before start)."""
        self._publish = publish

    def _forward(self, update: FleetUpdate) -> None:
        self._publish(update)

    # -- running -----------------------------------------------------------------------------

    def start(self) -> asyncio.Task[None]:
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(self._run(), name=f"host {self.key}")
        if self.ssh is not None:
            self.ssh.start()
        if self.health is not None:
            self.health.start()
        return self._task

    async def _run(self) -> None:
        await self._show_last_known()
        if self.activity is None:
            await self.link.run()
        else:
            await asyncio.gather(self.link.run(), self._demo_steps(self.activity))

    async def _demo_steps(self, activity: DemoActivity) -> None:
        """Every few seconds, a real pause or resume on the demo's test driver."""
        while True:
            await asyncio.sleep(STEP_EVERY_S)  # the demo's pace, not a wait for an outcome
            conn, step = self.link.conn, activity.next_step(self.book.rows)
            if conn is None or step is None:
                continue
            try:
                await self.call(partial(_demo_step, conn, *step))
            except Exception as exc:  # the demo's own call; nothing of the operator's
                log.info("demo activity: %s failed: %s", step[1], exc)

    async def stop(self) -> None:
        self.link.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.store.save_now(self.status.facts)
        await self.link.close()
        if self.health is not None:
            await self.health.stop()
        if self.ssh is not None:
            await self.ssh.stop()
        self.workers.shutdown()
        if self._own_store:  # a host of its own (tests); a fleet's host shares the fleet's
            await self.store.thread.settled()
            self.store.thread.shutdown()
        self.migration_workers.shutdown()

    @property
    def rows(self) -> Mapping[str, DomainRow]:
        return self.book.rows

    @property
    def unsupported_events(self) -> list[str]:
        return self.link.unsupported_events

    @property
    def audit(self) -> AuditSink | None:
        return self.runner.audit

    @audit.setter
    def audit(self, sink: AuditSink | None) -> None:
        self.runner.audit = sink

    @property
    def history(self) -> MetricHistory | None:
        return self.store.history

    # -- what the link reports (LinkOwner) -----------------------------------------------------

    def link_changed(self, state: LinkState, reason: str) -> None:
        since = self.status.since if state == self.status.state else time.time()
        self.status = replace(self.status, state=state, reason=reason, since=since)
        log.info("%s: %s %s", self.key, state.value, reason)
        self._publish(HostStatusChanged(self.status))

    def link_opened(self, facts: HostFacts, collector: DomainCollector) -> None:
        self.status = replace(self.status, facts=facts)
        collector.adopt_rows(dict(self.book.rows))
        collector.on_screen = self._on_screen
        collector.labels_for_all = self._labels_for_all
        if self.activity is not None:
            collector.made_up = self.activity.counters

    def on_screen(self, uuids: Iterable[str]) -> None:
        """The VMs of this host the operator sees now: sizes a driver's bulk stats lack are
        read for these only (a screenful, never the whole fleet)."""
        self._on_screen = frozenset(uuids)
        collector = self.link.collector
        if collector is not None:
            collector.on_screen = self._on_screen

    def read_all_labels(self) -> None:
        """The operator filters or groups by tag or OS: read every VM's, a few per tick."""
        self._labels_for_all = True
        collector = self.link.collector
        if collector is not None:
            collector.labels_for_all = True

    def tick_arrived(self, tick: Tick) -> None:
        self.labels_unread = tick.labels_unread
        changed, removed = self.book.apply_tick(
            tick.started, tick.changed, tick.removed, tick.present
        )
        self.status = replace(
            self.status,
            calls_last_tick=tick.call_count,
            refresh_ms=tick.seconds * 1000,
            domains=len(self.book),
            last_known_at=None,
        )
        if self.status.state is not LinkState.LIVE:
            self.link_changed(LinkState.LIVE, "")
        else:
            self._publish(HostStatusChanged(self.status))
        self.store.save_fleet(
            changed, [uuid for _host, uuid in removed], self.status.facts, self.book.rows
        )
        self.store.record_tick(tick, changed, on_screen=self._on_screen)
        for key in removed:
            self.noisy.forget(key)
            self.recent.forget(key[1])
        for episode in self.noisy.observe(changed, time.monotonic()):
            verb = "is a noisy neighbour" if episode.began else "is quiet again"
            log.warning(
                "%s: %s %s (%s)", self.key, episode.name, verb, said(episode.metric, episode.value)
            )
            self._publish(episode)
        self._publish(DomainsRefreshed(self.key, changed, removed, tick))

    def watch(self, fn: Callable[[DomainEvent], None]) -> Callable[[], None]:
        """Call `fn` with every domain event of this host until the returned function runs."""
        self._watchers.append(fn)
        return lambda: self._watchers.remove(fn) if fn in self._watchers else None

    def report(self, op: Operation) -> None:
        """Show an operation's progress (the runner's, or a migration's)."""
        self.recent.operation(op)
        self._publish(OperationChanged(op))

    def event_arrived(self, event: DomainEvent) -> None:
        self.runner.event_arrived(event)
        self.recent.event(event)
        for watcher in list(self._watchers):
            watcher(event)
        self.store.invalidate(
            event.uuid, invalidated_by_event(event.kind, event.event, event.reason)
        )
        if event.kind == "metadata" and self.link.collector is not None:
            self.link.collector.relabel(event.uuid)  # tags (our namespace) or the OS
        outcome = self.book.apply_event(event, time.monotonic())
        if self.store.saved_once:  # the first write waits for a tick: the whole fleet
            self.store.save_fleet(
                [outcome.row] if outcome.row is not None else [],
                [outcome.removed[1]] if outcome.removed is not None else [],
                self.status.facts,
                self.book.rows,
            )
        if outcome.membership_changed:
            self._reread_flags()
            self.status = replace(self.status, domains=len(self.book))
        self._publish(DomainEventArrived(event, outcome.row, outcome.removed))

    def _reread_flags(self) -> None:
        collector = self.link.collector
        if collector is not None:
            collector.membership_dirty = True  # re-read flags and sizes next tick

    async def _show_last_known(self) -> None:
        """Before the host answers, show what it had last time, marked with its age."""
        known = await self.store.last_known()
        if known is None or len(self.book):
            return  # nothing kept, or the live host answered first
        self.book.adopt(known.rows)
        self.status = replace(
            self.status, facts=known.facts, last_known_at=known.saved_at, domains=len(known.rows)
        )
        self._publish(HostStatusChanged(self.status))
        if known.rows:
            tick = Tick(self.key, 0.0, known.rows, [], len(known.rows), {})
            self._publish(DomainsRefreshed(self.key, known.rows, [], tick))

    # -- the table's addresses -----------------------------------------------------------------

    async def ask_addresses(self, uuids: Iterable[str]) -> None:
        """Find the addresses of these VMs (the rows on screen) whose last answer expired,
        from the host's DHCP leases and neighbour table; changed rows are published."""
        due = [u for u in self.address_rounds.due(uuids) if u in self.book.rows]
        due = [u for u in due if self.book.rows[u].state.is_active]
        if not due or self.link.conn is None:
            return
        calls = self.calls
        leases = await self.on_host(lambda conn: host_leases(conn, calls))
        table = await self._remote_neighbours()
        if table is None:
            try:
                table = await self.call(local_neighbours)
            except OSError:
                table = {}
        changed = []
        for uuid in due:
            try:
                macs = interface_macs(await self.domain_xml(uuid))
            except Exception:  # the VM went meanwhile: nothing to show
                continue
            found = table_addresses(macs, leases, table)
            first = found.addresses[0] if found.addresses else None
            row = self.book.set_address(
                uuid, first.address if first else "", first.source if first else None
            )
            if row is not None:
                changed.append(row)
        if changed:
            tick = Tick(self.key, time.monotonic(), changed, [], len(self.book), {})
            self._publish(DomainsRefreshed(self.key, changed, [], tick))

    # -- actions -----------------------------------------------------------------------------

    async def perform(self, op: Operation, gate: asyncio.Semaphore | None = None) -> Operation:
        return await self.runner.perform(op, gate)

    async def create_vm(self, spec: VmSpec, start: bool) -> Operation:
        op, work = create_operation(self.key, spec, start)
        return await self.runner.perform_on_host(op, work)

    async def clone_vm(self, row: DomainRow, new_name: str) -> Operation:
        op, work = clone_operation(self.key, row, new_name)
        return await self.runner.perform_on_host(op, work)
