"""Faults injected into a running console, measured: shared by tests/integration/test_faults_*.py
(two or three rounds each) and benchmarks/faults.py (ten).

The console under test (`FaultConsole`) watches two hosts: the demo host (libvirt's test driver,
in process), which must keep updating whatever happens to the other, and the faulty host. While
a fault lasts, a typist presses a key into the filter every 50 ms and times each one; a sampler
counts the `ssh` processes under us; `OpenWatch` counts the libvirt opens in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import statistics
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from limen_tui.config.settings import Settings
from limen_tui.fleet import link as link_module
from limen_tui.model import LinkState
from limen_tui.ui.app import LimenApp
from tests.harness.libvirtd import answers, ensure_libvirtd, stop_libvirtd
from tests.harness.ssh_libvirt import ssh_children
from tests.harness.sshd import SshServer

FAULT_SETTINGS = Settings(
    refresh_interval=0.5,
    call_timeout=2,
    connect_timeout=2,
    keepalive_interval=1,
    keepalive_count=2,
    reconnect_min=0.5,
    reconnect_max=2,
)
"""Short timeouts so a round takes seconds: ssh gives up on a silent server after ~2 s."""


class OpenWatch:
    """Counts libvirt opens in flight per URI (in the links' workers) while installed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.in_flight: dict[str, int] = {}
        self.most = 0
        """The most opens of one URI in flight at once."""
        self.total = 0
        self.opened: dict[str, int] = {}
        """Opens started, per URI."""

    @contextlib.contextmanager
    def installed(self) -> Iterator[OpenWatch]:
        names = vars(link_module)  # the name the link calls, swapped for a counting one
        real = names["open_connection"]

        def counted(uri: str, *args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.in_flight[uri] = self.in_flight.get(uri, 0) + 1
                self.total += 1
                self.opened[uri] = self.opened.get(uri, 0) + 1
                self.most = max(self.most, self.in_flight[uri])
            try:
                return real(uri, *args, **kwargs)
            finally:
                with self._lock:
                    self.in_flight[uri] -= 1

        names["open_connection"] = counted
        try:
            yield self
        finally:
            names["open_connection"] = real


@dataclass
class Round:
    """One fault, start to end."""

    back_s: float | None = None
    """Seconds from the host answering again (thaw, restart) to the console showing it live."""
    key_ms: list[float] = field(default_factory=list)
    keys_lost: int = 0
    other_ticks: int = 0
    """Ticks the demo host made while the fault lasted."""
    most_ssh: int = 0
    reason: str = ""
    """Why the faulty host was shown not live (its first such reason)."""


def summary(rounds: list[Round]) -> dict[str, float]:
    keys = sorted(ms for r in rounds for ms in r.key_ms) or [0.0]
    backs = [r.back_s for r in rounds if r.back_s is not None] or [0.0]
    return {
        "rounds": len(rounds),
        "back_p50_s": round(statistics.median(backs), 2),
        "back_max_s": round(max(backs), 2),
        "key_p50_ms": round(statistics.median(keys), 1),
        "key_p95_ms": round(keys[int(0.95 * (len(keys) - 1))], 1),
        "key_max_ms": round(keys[-1], 1),
        "keys": len(keys),
        "keys_lost": sum(r.keys_lost for r in rounds),
        "other_ticks_min": min(r.other_ticks for r in rounds) if rounds else 0,
        "most_ssh": max((r.most_ssh for r in rounds), default=0),
    }


class FaultConsole:
    def __init__(self, app: LimenApp, pilot: Pilot[Any], faulty: str, other: str) -> None:
        self.app, self.pilot, self.faulty, self.other = app, pilot, faulty, other
        assert app.fleet is not None
        self.fleet = app.fleet

    def state(self, key: str | None = None) -> LinkState:
        return self.fleet.hosts[key or self.faulty].status.state

    def reason(self) -> str:
        return self.fleet.hosts[self.faulty].status.reason

    async def until(self, check: Callable[[], bool], limit: float, what: str) -> None:
        deadline = time.monotonic() + limit
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {limit}s ({self.reason()!r})")
            await asyncio.sleep(0.02)

    async def until_state(self, state: LinkState, limit: float) -> None:
        await self.until(lambda: self.state() is state, limit, f"{self.faulty} {state.value}")

    def _other_ticks(self) -> int:
        return self.fleet.hosts[self.other].calls.tally().get("getAllDomainStats", 0)

    @contextlib.asynccontextmanager
    async def fault(self, into: Round) -> AsyncIterator[Round]:
        """Type and sample for as long as the body runs; the figures land in `into`."""
        stop = asyncio.Event()
        ticks = self._other_ticks()
        typist = asyncio.create_task(self._type(into, stop))
        sampler = asyncio.create_task(self._sample(into, stop))
        try:
            yield into
        finally:
            stop.set()
            await asyncio.gather(typist, sampler)
            into.other_ticks = self._other_ticks() - ticks

    async def _type(self, into: Round, stop: asyncio.Event) -> None:
        await self.pilot.press("slash")
        typed = ""
        while not stop.is_set():
            char = "abcdefghij"[len(typed) % 10]
            started = time.perf_counter()
            await self.pilot.press(char)
            into.key_ms.append((time.perf_counter() - started) * 1000)
            typed += char
            await asyncio.sleep(0.05)
        shown = self.app.query_one("#filter", Input).value
        into.keys_lost += 0 if shown == typed else max(1, abs(len(typed) - len(shown)))
        await self.pilot.press("escape")

    async def _sample(self, into: Round, stop: asyncio.Event) -> None:
        while not stop.is_set():
            into.most_ssh = max(into.most_ssh, len(ssh_children()))
            if not into.reason and self.state() is not LinkState.LIVE:
                into.reason = self.reason()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.2)


def daemon_back() -> None:
    """Start libvirtd again. Other sessions share it: when one of them started it at the same
    moment, ours exits ("libvirtd -d exited with status 1") while theirs serves; that counts."""
    try:
        ensure_libvirtd()
    except RuntimeError:
        deadline = time.monotonic() + 15
        while not answers() and time.monotonic() < deadline:
            time.sleep(0.2)
        ensure_libvirtd()


# -- the scenarios ---------------------------------------------------------------------------


async def freeze_and_thaw(console: FaultConsole, sshd: SshServer, frozen_s: float) -> Round:
    """The SIGSEGV scenario: a live `+ssh` host frozen (SIGSTOP of its sshd and the session)
    for longer than the connect timeout, over several retry periods, then thawed."""
    await console.until_state(LinkState.LIVE, 30)
    result = Round()
    async with console.fault(result):
        sshd.freeze()
        try:
            await console.until(lambda: console.state() is not LinkState.LIVE, 20, "noticed")
            await asyncio.sleep(frozen_s)
        finally:
            sshd.thaw()
        thawed = time.monotonic()
        await console.until_state(LinkState.LIVE, 30)
        result.back_s = time.monotonic() - thawed
    return result


async def sshd_restart(console: FaultConsole, sshd: SshServer, down_s: float) -> Round:
    """The host's sshd dies with its sessions and comes back (same port, same key)."""
    await console.until_state(LinkState.LIVE, 30)
    result = Round()
    async with console.fault(result):
        await asyncio.to_thread(sshd.stop)
        try:
            await console.until_state(LinkState.DOWN, 20)
            await asyncio.sleep(down_s)
        finally:
            await asyncio.to_thread(sshd.start)
        started = time.monotonic()
        await console.until_state(LinkState.LIVE, 30)
        result.back_s = time.monotonic() - started
    return result


async def silent_host(console: FaultConsole, lasting_s: float) -> Round:
    """A host whose port accepts and never speaks: every attempt ends, none piles up."""
    result = Round()
    async with console.fault(result):
        await console.until_state(LinkState.DOWN, 20)
        await asyncio.sleep(lasting_s)
    return result


async def daemon_killed(console: FaultConsole, down_s: float) -> Round:
    """libvirtd killed (SIGKILL) under a live local host, started again after `down_s`."""
    await console.until_state(LinkState.LIVE, 30)
    result = Round()
    async with console.fault(result):
        await asyncio.to_thread(stop_libvirtd, sig=signal.SIGKILL)
        try:
            await console.until_state(LinkState.DOWN, 20)
            await asyncio.sleep(down_s)
        finally:
            await asyncio.to_thread(daemon_back)
        answered = time.monotonic()
        await console.until_state(LinkState.LIVE, 30)
        result.back_s = time.monotonic() - answered
    return result


async def no_fault(console: FaultConsole, lasting_s: float) -> Round:
    """The reference: the same typing and sampling with every host healthy."""
    await console.until_state(LinkState.LIVE, 30)
    result = Round()
    async with console.fault(result):
        await asyncio.sleep(lasting_s)
    return result


async def slow_link(
    console: FaultConsole,
    lasting_s: float,
    change: Callable[[], object],
    changed: Callable[[], bool],
) -> Round:
    """A host behind a slow, lossy link (tests/harness/slow_proxy.py): it stays live, a change
    made on it (`change`, outside the console) shows (`changed`), and the other host and the
    keys do not wait for it."""
    await console.until_state(LinkState.LIVE, 60)
    result = Round()
    async with console.fault(result):
        await asyncio.sleep(lasting_s / 2)
        made = time.monotonic()
        await asyncio.to_thread(change)
        await console.until(changed, 30, "the change shown")
        result.back_s = time.monotonic() - made
        await asyncio.sleep(lasting_s / 2)
    return result
