"""The core without a terminal: one Host on the real libvirtd."""

from __future__ import annotations

import asyncio
import threading
import time

import libvirt
import pytest

from limen_tui.config.settings import Settings
from limen_tui.fleet.host import Host
from limen_tui.fleet.link import STOP_WAIT_S
from limen_tui.fleet.updates import (
    DomainEventArrived,
    DomainsRefreshed,
    FleetUpdate,
    HostStatusChanged,
)
from limen_tui.model import LinkState, PowerState
from tests.conftest import MakeVm, Virsh
from tests.ui.helpers import wait_for

pytestmark = pytest.mark.libvirtd


async def test_calls_per_tick_stay_one_bulk_call_whatever_the_vm_count(
    libvirtd: str, vm_factory: MakeVm
) -> None:
    updates: list[FleetUpdate] = []
    for i in range(3):
        vm_factory(f"count-{i}", start=i < 2)
    session = Host(libvirtd, updates.append, Settings(refresh_interval=0.2))
    session.start()
    try:
        await wait_for(lambda: sum(isinstance(u, DomainsRefreshed) for u in updates) >= 4, limit=30)
        ticks = [u.tick for u in updates if isinstance(u, DomainsRefreshed)]
        assert all(t.calls == {"getAllDomainStats": 1} for t in ticks)
        assert all(not t.discovery_calls for t in ticks[1:])
        assert session.status.state is LinkState.LIVE
        assert session.status.facts is not None and session.status.facts.hypervisor == "QEMU"
    finally:
        await session.stop()


async def test_lifecycle_events_become_model_events(
    libvirtd: str, vm_factory: MakeVm, virsh: Virsh
) -> None:
    updates: list[FleetUpdate] = []
    name = vm_factory("events")
    session = Host(libvirtd, updates.append, Settings(refresh_interval=600))
    session.start()
    try:
        await wait_for(lambda: any(isinstance(u, DomainsRefreshed) for u in updates), limit=30)
        virsh("start", name)

        def events() -> list[tuple[str, str]]:
            return [
                (u.event.event, u.event.reason)
                for u in updates
                if isinstance(u, DomainEventArrived) and u.event.name == name
            ]

        await wait_for(lambda: ("started", "booted") in events(), limit=30)
        started = next(
            u for u in updates if isinstance(u, DomainEventArrived) and u.event.event == "started"
        )
        assert started.row is not None and started.row.state is PowerState.RUNNING
        assert "lifecycle" not in session.unsupported_events
    finally:
        await session.stop()


async def test_unreachable_uri_is_down_with_a_reason_and_retried() -> None:
    updates: list[FleetUpdate] = []
    session = Host(
        "qemu+tcp://127.0.0.1:1/system",
        updates.append,
        Settings(reconnect_min=0.1, reconnect_max=0.2, connect_timeout=5),
    )
    session.start()
    try:

        def downs() -> list[str]:
            return [
                u.status.reason
                for u in updates
                if isinstance(u, HostStatusChanged) and u.status.state is LinkState.DOWN
            ]

        await wait_for(lambda: len(downs()) >= 2, limit=20)
        assert "retrying" in downs()[0]
        assert "127.0.0.1" in downs()[0] or "connect" in downs()[0].lower()
    finally:
        await session.stop()


class _HeldRead:
    """A read of the host's name that waits in its worker until let go: a call still in flight
    (a tick, a details read) when the connection is to be closed."""

    def __init__(self, session: Host) -> None:
        conn = session.link.conn
        assert conn is not None
        self.conn, self.entered, self.go = conn, threading.Event(), threading.Event()
        self.answer = session.workers.submit(self._read)

    def _read(self) -> str:
        self.entered.set()
        self.go.wait(30)
        return str(self.conn.getHostname())


async def _live_with_a_held_read(libvirtd: str) -> tuple[Host, _HeldRead]:
    session = Host(libvirtd, lambda _u: None, Settings(refresh_interval=600))
    session.start()
    await wait_for(lambda: session.status.state is LinkState.LIVE, limit=30)
    held = _HeldRead(session)
    await asyncio.to_thread(held.entered.wait, 10)
    return session, held


async def test_a_stop_waits_for_a_call_in_flight_before_closing_its_connection(
    libvirtd: str,
) -> None:
    session, held = await _live_with_a_held_read(libvirtd)
    stopping = asyncio.ensure_future(session.stop())
    await asyncio.sleep(0.5)
    assert not stopping.done()  # closing now would free the connection under the read
    held.go.set()
    assert await held.answer  # the read got its answer: the connection was still open
    await asyncio.wait_for(stopping, 10)
    with pytest.raises(libvirt.libvirtError):  # and closed after it
        held.conn.getHostname()


async def test_a_stop_with_a_stuck_call_leaves_its_connection_open_and_returns(
    libvirtd: str,
) -> None:
    session, held = await _live_with_a_held_read(libvirtd)
    started = time.monotonic()
    await asyncio.wait_for(session.stop(), 10)
    assert time.monotonic() - started < STOP_WAIT_S + 3
    held.go.set()
    assert await held.answer  # never closed under it
    held.conn.close()
