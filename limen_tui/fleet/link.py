"""One host's libvirt connection, supervised: open, subscribe, tick, notice the end, reconnect.

At most one open (and one close) is in flight per host: an open that outlives the connect
timeout marks the host "connecting (slow)" and is waited for, never abandoned and replaced (an
abandoned `virConnectOpen` crashed the process when a frozen host thawed); a `+ssh` open is
bounded from inside its transport instead (virt/ssh_transport.py). After a failure the next
attempt waits for the backoff, 1-2-4... up to `reconnect_max` seconds, or less: a cheap probe
of the transport (probe.py) every half second ends the pause as soon as the host comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import libvirt

from limen_tui.config.settings import Settings
from limen_tui.fleet.probe import PROBE_EVERY, Probe, answers, probe_for, resolve_ssh
from limen_tui.fleet.self_cost import RefreshPace
from limen_tui.fleet.workers import HostWorkers
from limen_tui.hosts.ssh_target import host_key_sentence
from limen_tui.model import DomainEvent, HostFacts, LinkState
from limen_tui.model.backoff import Backoff
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.collector import DomainCollector, Tick
from limen_tui.virt.connection import (
    ConnectError,
    HostKeyRefused,
    close_quietly,
    describe_error,
    open_connection,
    read_facts,
)
from limen_tui.virt.eventloop import ensure_event_loop
from limen_tui.virt.events import subscribe

log = logging.getLogger(__name__)

STOP_WAIT_S = 2.0
"""How long a stopping console waits for a host's calls before leaving its connection open."""


class LinkOwner(Protocol):
    """What the link tells the host it belongs to (always on the consumer's loop)."""

    def link_changed(self, state: LinkState, reason: str) -> None: ...
    def link_opened(self, facts: HostFacts, collector: DomainCollector) -> None: ...
    def tick_arrived(self, tick: Tick) -> None: ...
    def event_arrived(self, event: DomainEvent) -> None: ...


@dataclass(slots=True)
class _Open:
    conn: libvirt.virConnect
    collector: DomainCollector
    callback_ids: list[int]
    facts: HostFacts
    unsupported: list[str]


class LibvirtLink:
    def __init__(
        self,
        key: str,
        uri: str,
        settings: Settings,
        workers: HostWorkers,
        calls: CallCounter,
        owner: LinkOwner,
        known_hosts: Path | None = None,
        pace: RefreshPace | None = None,
    ) -> None:
        """`known_hosts`: the file a `+ssh` URI's key is checked against when the URI names
        none (the host's [ssh] known_hosts); None: OpenSSH's own. `pace`: the refresh
        interval shared by the fleet's hosts (the self-cost budget stretches it)."""
        self.key, self.uri, self.settings = key, uri, settings
        self.pace = pace or RefreshPace(settings.refresh_interval)
        self.known_hosts = known_hosts
        self._probe: Probe | None = probe_for(uri, settings.readonly)
        self._probe_resolved = False
        self._workers, self._calls, self._owner = workers, calls, owner
        self._open: _Open | None = None
        self._closing: _Open | None = None
        self._closed = asyncio.Event()
        self._close_reason = "connection closed"
        self._stopping = asyncio.Event()
        self.unsupported_events: list[str] = []
        self.first_attempt = asyncio.Event()
        """Set once the first open answered, failed, or outlived the connect timeout."""
        self.last_failure = ""
        """Why the last open failed (or is slow), without the retry note."""

    @property
    def conn(self) -> libvirt.virConnect | None:
        return self._open.conn if self._open is not None else None

    @property
    def collector(self) -> DomainCollector | None:
        return self._open.collector if self._open is not None else None

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Connect, tick until the connection dies, reconnect with backoff; until stopped."""
        backoff = Backoff(self.settings.reconnect_min, self.settings.reconnect_max)
        while not self._stopping.is_set():
            self._owner.link_changed(LinkState.CONNECTING, "")
            try:
                opened = await self._open_once()
            except (ConnectError, libvirt.libvirtError, OSError) as exc:
                reason = self._why(exc)
                self.last_failure = reason
                delay = backoff.next()
                sooner = ", sooner when it answers" if self._probe is not None else ""
                self._owner.link_changed(
                    LinkState.DOWN, f"{reason}; retrying in {delay:.0f}s{sooner}"
                )
                await self._pause(delay, at_once_if_up=False)
                continue
            finally:
                self.first_attempt.set()
            self._open = opened
            self.unsupported_events = opened.unsupported
            self._owner.link_opened(opened.facts, opened.collector)
            backoff.reset()
            self._owner.link_changed(LinkState.LIVE, "")
            reason = await self._tick_until_closed(opened.collector)
            await self.close()
            if self._stopping.is_set():
                return
            self._owner.link_changed(LinkState.DOWN, f"{reason}; reconnecting")
            await self._pause(backoff.current, at_once_if_up=True)

    def _why(self, exc: BaseException) -> str:
        if isinstance(exc, HostKeyRefused):
            r = exc.refusal
            return host_key_sentence(
                self.key,
                r.host,
                r.port,
                r.known_hosts,
                r.offered,
                changed=r.changed,
                file_exists=r.file_exists,
            )
        return exc.reason if isinstance(exc, ConnectError) else describe_error(exc)

    async def _wait_stopping(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), max(seconds, 0.0))

    async def _pause(self, seconds: float, *, at_once_if_up: bool) -> None:
        """Wait out the backoff, or less: ends when the probe sees the host come back (it
        failed, then answered; or, right after a live connection ended, answers at once)."""
        if self._probe is None:
            await self._wait_stopping(seconds)
            return
        if not self._probe_resolved:
            self._probe = await asyncio.to_thread(resolve_ssh, self._probe)
            self._probe_resolved = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        seen_down = at_once_if_up
        while not self._stopping.is_set() and (left := deadline - loop.time()) > 0:
            started = loop.time()
            if await answers(self._probe, min(PROBE_EVERY, left)):
                if seen_down:
                    return
            else:
                seen_down = True
            await self._wait_stopping(
                min(PROBE_EVERY - (loop.time() - started), deadline - loop.time())
            )

    async def _open_once(self) -> _Open:
        loop = asyncio.get_running_loop()
        ensure_event_loop()
        self._closed = asyncio.Event()
        owner, s, calls = self._owner, self.settings, self._calls

        def on_close(reason: str) -> None:  # libvirt event thread
            with contextlib.suppress(RuntimeError):  # the console's loop has ended: no one
                loop.call_soon_threadsafe(self._on_closed, reason)

        def on_event(event: DomainEvent) -> None:  # libvirt event thread
            with contextlib.suppress(RuntimeError):  # the console's loop has ended: no one
                loop.call_soon_threadsafe(owner.event_arrived, event)

        def open_and_subscribe() -> _Open:
            conn = open_connection(
                self.uri,
                readonly=s.readonly,
                calls=calls,
                on_close=on_close,
                keepalive=(s.keepalive_interval, s.keepalive_count),
                connect_timeout=s.connect_timeout,
                known_hosts=self.known_hosts,
            )
            try:
                facts = read_facts(conn, calls)
                ids, unsupported = subscribe(conn, self.key, on_event, calls)
            except BaseException:
                close_quietly(conn)
                raise
            collector = DomainCollector(conn, self.key, facts.cpus, calls)
            return _Open(conn, collector, ids, facts, unsupported)

        attempt = self._workers.submit(open_and_subscribe)
        started = time.monotonic()
        while True:
            done, _ = await asyncio.wait({attempt}, timeout=s.connect_timeout)
            if done:
                return attempt.result()
            if self._stopping.is_set():
                # Leave it to finish in its worker; close it then, so nothing leaks.
                attempt.add_done_callback(self._close_later)
                raise ConnectError(self.uri, "stopped while connecting")
            waited = time.monotonic() - started
            self.last_failure = f"no answer within {waited:.0f}s"
            self.first_attempt.set()
            owner.link_changed(
                LinkState.CONNECTING,
                f"slow: no answer for {waited:.0f}s; waiting for this attempt",
            )

    def _close_later(self, attempt: asyncio.Future[_Open]) -> None:
        self._workers.later(lambda: _close_if_open(attempt))

    async def _tick_until_closed(self, collector: DomainCollector) -> str:
        """Tick at the refresh interval; returns why the connection ended."""
        while not self._stopping.is_set():
            try:
                tick = await self._collect(collector)
            except libvirt.libvirtError as exc:
                if self._closed.is_set() or not self._alive():
                    return describe_error(exc)
                self._owner.link_changed(LinkState.STALE, describe_error(exc))
            else:
                self._owner.tick_arrived(tick)
            closed = asyncio.ensure_future(self._closed.wait())
            stopping = asyncio.ensure_future(self._stopping.wait())
            done, pending = await asyncio.wait(
                {closed, stopping},
                timeout=self.pace.interval,
                return_when=asyncio.FIRST_COMPLETED,
            )
            for waiter in pending:
                waiter.cancel()
            if closed in done:
                return self._close_reason
        return "stopped"

    async def _collect(self, collector: DomainCollector) -> Tick:
        """One tick's bulk call. One that outlives the call timeout marks the host stale and is
        waited for: the next tick is not sent while this one still holds a worker."""
        call = self._workers.submit(collector.collect)
        limit, started = self.settings.call_timeout, time.monotonic()
        while True:
            done, _ = await asyncio.wait({call}, timeout=limit)
            if done:
                return call.result()
            if self._stopping.is_set() or self._closed.is_set():
                raise libvirt.libvirtError("the stats call did not return")
            self._owner.link_changed(
                LinkState.STALE,
                f"stats did not answer within {time.monotonic() - started:.0f}s; "
                "waiting for that call",
            )

    def _alive(self) -> bool:
        conn = self.conn
        try:
            return bool(conn is not None and conn.isAlive())
        except libvirt.libvirtError:
            return False

    def _on_closed(self, reason: str) -> None:
        self._close_reason = reason
        self._closed.set()

    async def close(self) -> None:
        """Close the connection once no call of this host's is still in a worker.

        libvirt frees a closed connection under any call still using it and the process dies
        (a tick cut short by the stop, a read the screen gave up on), so the close waits for
        them. While the link lives on, as long as it takes: a dead connection fails its calls
        at once, a frozen one is ended by the keepalive. When the console stops, at most
        `STOP_WAIT_S`; a connection still in use then is left to the process's end."""
        opened = self._open or self._closing  # a stop may cut short a close under way
        self._open, self._closing = None, opened
        if opened is None:
            return
        while not await self._workers.drained(
            STOP_WAIT_S if self._stopping.is_set() else self.settings.call_timeout
        ):
            busy = self._workers.in_flight
            if self._stopping.is_set():
                log.warning("%s: left open: %d calls still running at the stop", self.key, busy)
                return
            self._owner.link_changed(LinkState.DOWN, f"closing: waiting for {busy} calls to return")

        def close() -> None:
            _deregister_and_close(opened)

        self._closing = None  # from here the close is under way: never twice
        with contextlib.suppress(Exception):
            await self._workers.call(close, limit=5.0)


def _deregister_and_close(opened: _Open) -> None:
    for cid in opened.callback_ids:
        with contextlib.suppress(libvirt.libvirtError):
            opened.conn.domainEventDeregisterAny(cid)
    close_quietly(opened.conn)


def _close_if_open(attempt: asyncio.Future[_Open]) -> None:
    if not attempt.cancelled() and attempt.exception() is None:
        _deregister_and_close(attempt.result())
