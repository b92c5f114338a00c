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
from dataclasses import dataclass, replace
from typing import TypeVar

import libvirt

from limen_tui.config import Settings
from limen_tui.model import DomainEvent, DomainRow, HostStatus, LinkState, PowerState
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.collector import DomainCollector, Tick
from limen_tui.virt.connection import (
    ConnectError,
    close_quietly,
    describe_error,
    open_connection,
    read_facts,
)
from limen_tui.virt.eventloop import ensure_event_loop
from limen_tui.virt.events import subscribe

log = logging.getLogger(__name__)
T = TypeVar("T")


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


FleetUpdate = HostStatusChanged | DomainsRefreshed | DomainEventArrived
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
        await self._disconnect()
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def call(self, fn: Callable[[], T], limit: float | None = None) -> T:
        """Run a blocking call on this host's workers, bounded by the call timeout."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool, fn)
        return await asyncio.wait_for(future, limit or self.settings.call_timeout)

    @property
    def rows(self) -> dict[str, DomainRow]:
        return self._rows

    async def run(self) -> None:
        """Connect, tick until the connection dies, reconnect with backoff; forever."""
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
        if self.status.state != state:
            self._set_status(state, "")
        else:
            self._publish(HostStatusChanged(self.status))
        self._publish(DomainsRefreshed(self.key, changed, removed, tick))

    def _on_event(self, event: DomainEvent) -> None:
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
    ) -> None:
        self.settings = settings or Settings()
        self.sessions: dict[str, HostSession] = {}
        for uri in dict.fromkeys(uris):
            demo = uri == demo_uri
            session = HostSession(
                uri, publish, self.settings, key="demo" if demo else uri, demo=demo
            )
            self.sessions[session.key] = session

    def start(self) -> None:
        for session in self.sessions.values():
            session.start()

    async def stop(self) -> None:
        await asyncio.gather(*(s.stop() for s in self.sessions.values()))
