"""One HostSession per host: connection, events and counters, published as immutable updates.

Everything here runs on the consumer's asyncio loop (the UI's, or the CLI's); blocking libvirt
calls go to the host's own small thread pool with a timeout, and libvirt events arrive from the
libvirt event thread through `call_soon_threadsafe`. A slow or dead host only ever stalls its
own workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from typing import TypeVar

import libvirt

from limen_tui.config.settings import Settings
from limen_tui.fleet.cache_policy import invalidated_by_action, invalidated_by_event
from limen_tui.fleet.last_known import facts_from_json, facts_to_json, rows_from_json, rows_to_json
from limen_tui.fleet.operations import (
    AuditSink,
    BatchSummary,
    Operation,
    OpState,
    next_batch_id,
)
from limen_tui.model import DomainEvent, DomainRow, HostFacts, HostStatus, LinkState, PowerState
from limen_tui.model.devices import Devices, parse_devices
from limen_tui.store.cache import Cache
from limen_tui.store.history import MetricHistory
from limen_tui.virt.actions import ACTIONS, ActionRefused
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.collector import DomainCollector, Tick
from limen_tui.virt.connection import (
    ConnectError,
    close_quietly,
    describe_error,
    open_connection,
    read_facts,
)
from limen_tui.virt.eventloop import ensure_event_loop, nudge
from limen_tui.virt.events import subscribe
from limen_tui.virt.host_info import (
    NetworkInfo,
    NodeStats,
    PoolInfo,
    networks,
    node_stats,
    storage_pools,
)

log = logging.getLogger("limen_tui.fleet")  # one name for the whole fleet in the own log
T = TypeVar("T")

# One thread writes the audit log for every host, so records keep the order they finished in.
_AUDIT_WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit")


@dataclass(frozen=True, slots=True)
class HostOverview:
    node: NodeStats
    pools: list[PoolInfo]
    networks: list[NetworkInfo]


@dataclass(frozen=True, slots=True)
class HostStatusChanged:
    status: HostStatus


@dataclass(frozen=True, slots=True)
class DomainsRefreshed:
    host: str
    changed: list[DomainRow]
    removed: list[tuple[str, str]]
    tick: Tick


@dataclass(frozen=True, slots=True)
class DomainEventArrived:
    event: DomainEvent
    row: DomainRow | None = None
    removed: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class OperationChanged:
    operation: Operation


@dataclass(frozen=True, slots=True)
class BatchFinished:
    summary: BatchSummary


FleetUpdate = (
    HostStatusChanged | DomainsRefreshed | DomainEventArrived | OperationChanged | BatchFinished
)
Publish = Callable[[FleetUpdate], None]


class HostUnavailable(Exception):
    """A call could not be made because the host is not live."""


class HostSession:
    """Everything the console keeps for one hypervisor host."""

    def __init__(
        self,
        uri: str,
        publish: Publish,
        settings: Settings | None = None,
        *,
        key: str | None = None,
        demo: bool = False,
    ) -> None:
        self.uri = uri
        self.key = key or uri
        self.settings = settings or Settings()
        self.calls = CallCounter()
        self._publish = publish
        self._pool = ThreadPoolExecutor(
            max_workers=self.settings.workers_per_host, thread_name_prefix=f"libvirt-{self.key}"
        )
        self._conn: libvirt.virConnect | None = None
        self._collector: DomainCollector | None = None
        self._callback_ids: list[int] = []
        self.unsupported_events: list[str] = []
        self._rows: dict[str, DomainRow] = {}
        self._event_states: dict[str, tuple[float, PowerState]] = {}
        self._closed = asyncio.Event()
        self._waiters: dict[str, list[tuple[frozenset[str], asyncio.Future[DomainEvent]]]] = {}
        self.audit: AuditSink | None = None
        self.cache: Cache | None = None
        self.history: MetricHistory | None = None
        self._saved_at = 0.0
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.status = HostStatus(
            key=self.key,
            uri=uri,
            state=LinkState.CONNECTING,
            since=time.time(),
            demo=demo,
            readonly=self.settings.readonly,
        )

    # -- running -----------------------------------------------------------------------------

    def start(self) -> asyncio.Task[None]:
        self._task = asyncio.get_running_loop().create_task(self.run(), name=f"host {self.key}")
        return self._task

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        write = self._fleet_writer()
        if write is not None:
            with contextlib.suppress(Exception):
                await self.call(write, 5.0)
        await self._disconnect()
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def call(self, fn: Callable[[], T], limit: float | None = None) -> T:
        """Run a blocking call on this host's workers, bounded by the call timeout."""
        loop = asyncio.get_running_loop()

        def run_then_nudge() -> T:
            try:
                return fn()
            finally:
                nudge()  # deliver at once any event this call queued

        future = loop.run_in_executor(self._pool, run_then_nudge)
        return await asyncio.wait_for(future, limit or self.settings.call_timeout)

    @property
    def rows(self) -> dict[str, DomainRow]:
        return self._rows

    # -- the last known fleet ------------------------------------------------------------------

    async def _show_last_known(self) -> None:
        """Before the host answers, show what it had last time, marked with its age."""
        cache, key = self.cache, self.key
        if cache is None:
            return

        def read() -> tuple[list[DomainRow], HostFacts | None, float | None]:
            fleet = cache.get("fleet", key)
            facts = cache.get("host_facts", key)
            rows = rows_from_json(fleet.value) if fleet is not None else []
            return (
                rows,
                facts_from_json(facts.value) if facts is not None else None,
                fleet.stored_at if fleet is not None else None,
            )

        try:
            rows, facts, saved_at = await self.call(read, 5.0)
        except Exception as exc:  # the cache is a convenience; the host is the truth
            log.info("%s: no last known fleet: %s", self.key, describe_error(exc))
            return
        if self._rows or (not rows and facts is None):
            return  # the live host answered first
        self._rows = {r.uuid: r for r in rows}
        self.status = replace(self.status, facts=facts, last_known_at=saved_at, domains=len(rows))
        self._publish(HostStatusChanged(self.status))
        if rows:
            tick = Tick(self.key, 0.0, rows, [], len(rows), {})
            self._publish(DomainsRefreshed(self.key, rows, [], tick))

    def _record_history(self, tick: Tick) -> None:
        """Keep CPU % per VM and the tick's cost per host, for sparklines and after restarts."""
        history = self.history
        if history is None:
            return
        now, key = time.time(), self.key
        samples = [
            (key, r.uuid, "cpu", now, r.cpu_pct) for r in tick.changed if r.cpu_pct is not None
        ]
        samples.append((key, "", "refresh_ms", now, tick.seconds * 1000))
        self._pool.submit(history.append_many, samples)

    async def cpu_history(self, uuid: str, points: int = 40) -> list[float]:
        history, key = self.history, self.key
        if history is None:
            return []
        series = await self.call(lambda: history.series(key, uuid, "cpu", points))
        return [value for _ts, value in series]

    def _fleet_writer(self) -> Callable[[], None] | None:
        cache = self.cache
        if cache is None or self.status.last_known_at is not None or not self._saved_at:
            return None  # nothing live to keep yet
        rows, facts, key = list(self._rows.values()), self.status.facts, self.key

        def write() -> None:
            cache.put("fleet", key, "", rows_to_json(rows))
            if facts is not None:
                cache.put("host_facts", key, "", facts_to_json(facts))

        return write

    def _save_fleet(self, *, force: bool = False) -> None:
        """Keep the fleet for the next start; at most every 30 s, written in a worker."""
        now = time.monotonic()
        if self.cache is None or (not force and now - self._saved_at < 30.0):
            return
        self._saved_at = now
        write = self._fleet_writer()
        if write is not None:
            self._pool.submit(write)

    async def run(self) -> None:
        """Connect, tick until the connection dies, reconnect with backoff; forever."""
        await self._show_last_known()
        delay = self.settings.reconnect_min
        while not self._stopping:
            self._set_status(LinkState.CONNECTING, "")
            try:
                await self._connect()
            except (ConnectError, TimeoutError, libvirt.libvirtError) as exc:
                reason = (
                    exc.reason
                    if isinstance(exc, ConnectError)
                    else (
                        "no answer within the connect timeout"
                        if isinstance(exc, TimeoutError)
                        else describe_error(exc)
                    )
                )
                self._set_status(LinkState.DOWN, f"{reason}; retrying in {delay:.0f}s")
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.reconnect_max)
                continue
            delay = self.settings.reconnect_min
            self._set_status(LinkState.LIVE, "")
            reason = await self._tick_until_closed()
            await self._disconnect()
            if self._stopping:
                return
            self._set_status(LinkState.DOWN, f"{reason}; reconnecting")
            await asyncio.sleep(delay)

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        ensure_event_loop()
        self._closed = asyncio.Event()

        def on_close(reason: str) -> None:  # libvirt event thread
            loop.call_soon_threadsafe(self._on_closed, reason)

        def on_event(event: DomainEvent) -> None:  # libvirt event thread
            loop.call_soon_threadsafe(self._on_event, event)

        def open_and_subscribe() -> tuple[libvirt.virConnect, DomainCollector, list[int]]:
            s = self.settings
            conn = open_connection(
                self.uri,
                readonly=s.readonly,
                calls=self.calls,
                on_close=on_close,
                keepalive=(s.keepalive_interval, s.keepalive_count),
            )
            try:
                facts = read_facts(conn, self.calls)
                ids, unsupported = subscribe(conn, self.key, on_event, self.calls)
            except BaseException:
                close_quietly(conn)
                raise
            self.unsupported_events = unsupported
            self.status = replace(self.status, facts=facts)
            return conn, DomainCollector(conn, self.key, facts.cpus, self.calls), ids

        conn, collector, ids = await self.call(open_and_subscribe, self.settings.connect_timeout)
        collector.adopt_rows(self._rows)
        self._conn, self._collector, self._callback_ids = conn, collector, ids

    async def _disconnect(self) -> None:
        conn, ids = self._conn, self._callback_ids
        self._conn, self._collector, self._callback_ids = None, None, []
        if conn is None:
            return

        def close() -> None:
            for cid in ids:
                with contextlib.suppress(libvirt.libvirtError):
                    conn.domainEventDeregisterAny(cid)
            close_quietly(conn)

        with contextlib.suppress(Exception):
            await self.call(close, limit=5.0)

    async def _tick_until_closed(self) -> str:
        """Tick at the refresh interval; returns why the connection ended."""
        while not self._stopping:
            collector = self._collector
            if collector is None:
                return "disconnected"
            try:
                tick = await self.call(collector.collect)
            except TimeoutError:
                self._set_status(
                    LinkState.STALE,
                    f"stats did not answer within {self.settings.call_timeout:.0f}s",
                )
            except libvirt.libvirtError as exc:
                if self._closed.is_set() or not self._alive():
                    return describe_error(exc)
                self._set_status(LinkState.STALE, describe_error(exc))
            else:
                self._apply_tick(tick)
            closed_wait = asyncio.ensure_future(self._closed.wait())
            try:
                await asyncio.wait_for(closed_wait, self.settings.refresh_interval)
            except TimeoutError:
                continue
            return self._close_reason
        return "stopped"

    def _alive(self) -> bool:
        conn = self._conn
        try:
            return bool(conn is not None and conn.isAlive())
        except libvirt.libvirtError:
            return False

    _close_reason = "connection closed"

    def _on_closed(self, reason: str) -> None:
        self._close_reason = reason
        self._closed.set()

    # -- applying what arrived -------------------------------------------------------------------

    def _apply_tick(self, tick: Tick) -> None:
        changed: list[DomainRow] = []
        for row in tick.changed:
            # An event newer than this tick's bulk call knows better than the tick.
            newer = self._event_states.get(row.uuid)
            if newer is not None and newer[0] > tick.started and row.state != newer[1]:
                row = row.with_state(newer[1])
            self._rows[row.uuid] = row
            changed.append(row)
        self._event_states = {
            u: (t, s) for u, (t, s) in self._event_states.items() if t > tick.started
        }
        removed = []
        for uuid in tick.removed:
            if self._rows.pop(uuid, None) is not None:
                removed.append((self.key, uuid))
        state = LinkState.LIVE
        self.status = replace(
            self.status,
            calls_last_tick=tick.call_count,
            refresh_ms=tick.seconds * 1000,
            domains=len(self._rows),
        )
        if self.status.last_known_at is not None:
            self.status = replace(self.status, last_known_at=None)
        if self.status.state != state:
            self._set_status(state, "")
        else:
            self._publish(HostStatusChanged(self.status))
        self._save_fleet(force=bool(tick.removed) or self._saved_at == 0.0)
        self._record_history(tick)
        self._publish(DomainsRefreshed(self.key, changed, removed, tick))

    def _invalidate(self, uuid: str, kinds: tuple[str, ...] | None) -> None:
        """Forget what changed, in a worker (SQLite is blocking); () forgets nothing."""
        cache = self.cache
        if cache is None or kinds == ():
            return
        self._pool.submit(cache.invalidate, self.key, uuid, kinds)

    def _on_event(self, event: DomainEvent) -> None:
        self._wake_waiters(event)
        self._invalidate(event.uuid, invalidated_by_event(event.kind, event.event, event.reason))
        row = self._rows.get(event.uuid)
        removed: tuple[str, str] | None = None
        if event.kind == "lifecycle":
            collector = self._collector
            if event.event in ("defined", "undefined") and collector is not None:
                collector.membership_dirty = True
            if event.state is not None:
                self._event_states[event.uuid] = (time.monotonic(), event.state)
            if row is None and event.event == "defined":
                row = DomainRow(
                    host=self.key,
                    uuid=event.uuid,
                    name=event.name,
                    state=PowerState.SHUTOFF,
                    persistent=True,
                )
            elif row is not None and event.event == "undefined" and not row.state.is_active:
                row, removed = None, (self.key, event.uuid)
            elif row is not None and event.event == "undefined":
                row = replace(row, persistent=False)
            elif row is not None and event.event == "defined" and event.reason == "renamed":
                row = replace(row, name=event.name)
            elif row is not None and event.state is not None:
                if event.state == PowerState.SHUTOFF and row.persistent is False:
                    row, removed = None, (self.key, event.uuid)  # a transient VM is gone
                else:
                    row = row.with_state(event.state)
            if row is not None:
                self._rows[event.uuid] = row
            elif removed is not None:
                self._rows.pop(event.uuid, None)
            if removed is not None or event.event == "defined":
                self.status = replace(self.status, domains=len(self._rows))
        else:
            row = None
        self._publish(DomainEventArrived(event, row, removed))

    # -- actions -----------------------------------------------------------------------------

    def _wake_waiters(self, event: DomainEvent) -> None:
        word = "reboot" if event.kind == "reboot" else event.event
        if event.kind not in ("lifecycle", "reboot"):
            return
        for words, future in self._waiters.get(event.uuid, []):
            if word in words and not future.done():
                future.set_result(event)

    def _expect(self, uuid: str, words: frozenset[str]) -> asyncio.Future[DomainEvent]:
        future: asyncio.Future[DomainEvent] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(uuid, []).append((words, future))
        return future

    def _forget(self, uuid: str, future: asyncio.Future[DomainEvent]) -> None:
        waiting = [w for w in self._waiters.get(uuid, []) if w[1] is not future]
        if waiting:
            self._waiters[uuid] = waiting
        else:
            self._waiters.pop(uuid, None)

    def _report(self, op: Operation) -> Operation:
        self._publish(OperationChanged(op))
        return op

    async def _final(self, op: Operation) -> Operation:
        """Record a finished operation in the audit log (off the UI loop), then show it."""
        if op.uuid and op.state is not OpState.REFUSED:
            self._invalidate(op.uuid, invalidated_by_action(op.action))
        if op.action in ("create", "clone", "delete") and self.cache is not None:
            self._pool.submit(self.cache.invalidate, self.key, "", ("pools",))
        if self.audit is not None:
            audit = self.audit
            try:
                await asyncio.get_running_loop().run_in_executor(_AUDIT_WRITER, audit, op)
            except Exception as exc:  # an action must never go unaudited without a word
                note = f"NOT AUDITED: {describe_error(exc)}"
                op = replace(op, error=f"{op.error}; {note}" if op.error else note)
        return self._report(op)

    def _ready_for(self, op: Operation) -> tuple[libvirt.virConnect | None, Operation | None]:
        """The live connection to act on, or the operation finished with why it cannot run."""
        if self.settings.readonly:
            return None, op.finish(
                OpState.REFUSED, error="read-only session: nothing can be changed"
            )
        conn = self._conn
        if conn is None or self.status.state is not LinkState.LIVE:
            reason = self.status.reason or self.status.state.value
            return None, op.finish(OpState.FAILED, error=f"host is not live ({reason})")
        return conn, None

    async def perform(self, op: Operation, gate: asyncio.Semaphore | None = None) -> Operation:
        """Run one action on one VM and wait for libvirt's event that confirms it."""
        self._report(op)
        action = ACTIONS[op.action]
        async with gate or contextlib.nullcontext():
            conn, refusal = self._ready_for(op)
            if refusal is not None or conn is None:
                return await self._final(refusal or op)
            row = self._rows.get(op.uuid)
            if row is not None and action.needs_running is not None:
                if action.needs_running and not row.state.is_active:
                    return await self._final(
                        op.finish(OpState.REFUSED, error=f"{row.name} is {row.state.value}")
                    )
                if not action.needs_running and row.state.is_active:
                    return await self._final(
                        op.finish(
                            OpState.REFUSED,
                            error=f"{row.name} is {row.state.value}; shut it off first"
                            if op.action == "rename"
                            else f"{row.name} is already {row.state.value}",
                        )
                    )
            op = self._report(op.running())
            waiter = self._expect(op.uuid, action.confirms) if action.confirms else None
            uuid, params = op.uuid, op.params

            def work() -> str:
                dom = conn.lookupByUUIDString(uuid)
                self.calls.record(f"action {action.key}")
                return action.run(dom, params)

            try:
                note = await self.call(work, self.settings.confirm_timeout)
            except (libvirt.libvirtError, ActionRefused) as exc:
                if waiter is not None:
                    self._forget(op.uuid, waiter)
                return await self._final(op.finish(OpState.FAILED, error=describe_error(exc)))
            except TimeoutError:
                if waiter is not None:
                    self._forget(op.uuid, waiter)
                return await self._final(
                    op.finish(
                        OpState.FAILED,
                        error=f"libvirt did not answer within {self.settings.confirm_timeout:.0f}s",
                    )
                )
            if action.key in ("autostart", "set_vcpus", "set_memory") and self._collector:
                self._collector.membership_dirty = True  # re-read flags and sizes next tick
            if waiter is None:
                return await self._final(op.finish(OpState.SUCCEEDED, note=note))
            limit = (
                self.settings.shutdown_timeout
                if op.action == "shutdown"
                else self.settings.confirm_timeout
            )
            try:
                event = await asyncio.wait_for(asyncio.shield(waiter), limit)
            except TimeoutError:
                if action.optional_confirm:
                    return await self._final(
                        op.finish(
                            OpState.SUCCEEDED, note=f"{note}; the guest has not reported it yet"
                        )
                    )
                what = (
                    f"the guest did not stop within {limit:.0f}s (it may ignore ACPI); force off?"
                    if op.action == "shutdown"
                    else f"{note}, but libvirt reported no outcome within {limit:.0f}s"
                )
                return await self._final(op.finish(OpState.TIMED_OUT, error=what))
            finally:
                self._forget(op.uuid, waiter)
            reason = f", {event.reason}" if event.reason else ""
            confirmed = f"{note} (libvirt: {event.event}{reason})"
            return await self._final(op.finish(OpState.SUCCEEDED, note=confirmed))

    async def perform_on_host(
        self, op: Operation, work: Callable[[libvirt.virConnect], str], limit: float = 300.0
    ) -> Operation:
        """An operation that is not on an existing VM (create, clone): same pane, same audit."""
        self._report(op)
        conn, refusal = self._ready_for(op)
        if refusal is not None or conn is None:
            return await self._final(refusal or op)
        op = self._report(op.running())
        self.calls.record(f"action {op.action}")
        try:
            note = await self.call(lambda: work(conn), limit)
        except TimeoutError:
            return await self._final(
                op.finish(OpState.FAILED, error=f"no answer within {limit:.0f}s")
            )
        except Exception as exc:
            return await self._final(op.finish(OpState.FAILED, error=describe_error(exc)))
        if self._collector is not None:
            self._collector.membership_dirty = True
        return await self._final(op.finish(OpState.SUCCEEDED, note=note))

    async def overview(self) -> HostOverview:
        """Node stats (live), storage pools and networks (from the cache while fresh)."""
        cache, key, calls = self.cache, self.key, self.calls

        def read(conn: libvirt.virConnect) -> HostOverview:
            stats = node_stats(conn, calls)
            pools_entry = cache.get("pools", key) if cache is not None else None
            nets_entry = cache.get("networks", key) if cache is not None else None
            pools = (
                storage_pools(conn, calls)
                if pools_entry is None
                else [PoolInfo(**p) for p in pools_entry.value]
            )
            nets = (
                networks(conn, calls)
                if nets_entry is None
                else [NetworkInfo(**n) for n in nets_entry.value]
            )
            if cache is not None:
                if pools_entry is None:
                    cache.put("pools", key, "", [asdict(p) for p in pools])
                if nets_entry is None:
                    cache.put("networks", key, "", [asdict(n) for n in nets])
            return HostOverview(stats, pools, nets)

        return await self.on_host(read)

    async def on_host(self, fn: Callable[[libvirt.virConnect], T]) -> T:
        """Run a read on this host's connection in its workers (pools, networks, checks)."""
        conn = self._conn
        if conn is None:
            raise HostUnavailable(f"{self.key} is {self.status.state.value}")
        return await self.call(lambda: fn(conn))

    async def devices(self, uuid: str) -> Devices:
        """The VM's devices from its XML: from the cache when fresh, else one XMLDesc call."""
        cache, key, calls = self.cache, self.key, self.calls

        def cached() -> str | None:
            entry = cache.get("domain_xml", key, uuid) if cache is not None else None
            return entry.value if entry is not None and isinstance(entry.value, str) else None

        def fetch(dom: libvirt.virDomain) -> str:
            calls.record("XMLDesc")
            xml = str(dom.XMLDesc(0))
            if cache is not None:
                cache.put("domain_xml", key, uuid, xml)
            return xml

        xml = await self.call(cached) if cache is not None else None
        if xml is None:
            xml = await self.on_domain(uuid, fetch)
        return parse_devices(xml)

    async def on_domain(self, uuid: str, fn: Callable[[libvirt.virDomain], T]) -> T:
        """Run a read on one VM in this host's workers (e.g. its snapshot tree)."""
        conn = self._conn
        if conn is None:
            raise HostUnavailable(f"{self.key} is {self.status.state.value}")
        self.calls.record("lookupByUUIDString")
        return await self.call(lambda: fn(conn.lookupByUUIDString(uuid)))

    def _set_status(self, state: LinkState, reason: str) -> None:
        since = self.status.since if state == self.status.state else time.time()
        self.status = replace(self.status, state=state, reason=reason, since=since)
        log.info("%s: %s %s", self.key, state.value, reason)
        self._publish(HostStatusChanged(self.status))


class Fleet:
    """All host sessions of one console."""

    def __init__(
        self,
        uris: list[str],
        publish: Publish,
        settings: Settings | None = None,
        *,
        demo_uri: str | None = None,
        names: dict[str, str] | None = None,
    ) -> None:
        """`names` maps a URI to the host's name from the config file (its key on screen)."""
        self.settings = settings or Settings()
        self._publish = publish
        self.sessions: dict[str, HostSession] = {}
        names = names or {}
        for uri in dict.fromkeys(uris):
            demo = uri == demo_uri
            key = "demo" if demo else names.get(uri, uri)
            session = HostSession(uri, publish, self.settings, key=key, demo=demo)
            self.sessions[session.key] = session

    def start(self) -> None:
        for session in self.sessions.values():
            session.start()

    def set_cache(self, cache: Cache | None, history: MetricHistory | None = None) -> None:
        for session in self.sessions.values():
            session.cache = cache
            session.history = history

    def set_audit(self, audit: AuditSink | None) -> None:
        for session in self.sessions.values():
            session.audit = audit

    async def perform(
        self, targets: list[DomainRow], action: str, params: dict[str, object] | None = None
    ) -> list[Operation]:
        """Run `action` on every target with bounded concurrency; one failure stops nothing."""
        batch = next_batch_id() if len(targets) > 1 else None
        gate = asyncio.Semaphore(max(1, self.settings.bulk_concurrency))
        ops = [
            Operation.new(row.host, row.uuid, row.name, action, params, batch=batch)
            for row in targets
            if row.host in self.sessions
        ]
        results = await asyncio.gather(*(self.sessions[op.host].perform(op, gate) for op in ops))
        if batch is not None and results:
            ok = sum(r.state is OpState.SUCCEEDED for r in results)
            summary = BatchSummary(batch, action, ok, len(results) - ok)
            self._publish(BatchFinished(summary))
        return list(results)

    async def stop(self) -> None:
        await asyncio.gather(*(s.stop() for s in self.sessions.values()))
