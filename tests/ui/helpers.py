"""Building the console for tests: the live demo fleet, or its data injected with pollers off."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace

from limen_tui.config.settings import Settings
from limen_tui.demo import demo_uri
from limen_tui.fleet.updates import DomainEventArrived, DomainsRefreshed, HostStatusChanged
from limen_tui.model import DomainEvent, HostStatus, LinkState, PowerState
from limen_tui.ui.app import LimenApp
from limen_tui.ui.widgets.vm_table import VmTable
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.collector import DomainCollector
from limen_tui.virt.connection import close_quietly, open_connection, read_facts
from limen_tui.virt.eventloop import ensure_event_loop

FIXED_TIME = 1_795_000_000.0  # a fixed wall clock for anything the screen prints


async def wait_for(check: Callable[[], bool], limit: float = 10.0) -> None:
    """Wait until `check()` holds, letting the app run meanwhile; fail after `limit` s."""
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def demo_app(size_hint: str = "", **kw: object) -> LimenApp:
    return LimenApp([demo_uri()], Settings(refresh_interval=0.2), demo=True, **kw)  # type: ignore[arg-type]


def demo_snapshot_updates() -> list[HostStatusChanged | DomainsRefreshed | DomainEventArrived]:
    """One real tick of the demo fleet, with the clock and the timings pinned."""
    ensure_event_loop()
    calls = CallCounter()
    uri = demo_uri()
    conn = open_connection(uri, readonly=True, calls=calls, on_close=lambda _: None)
    try:
        facts = read_facts(conn, calls)
        tick = DomainCollector(conn, "demo", facts.cpus, calls).collect()
    finally:
        close_quietly(conn)
    # Pinned: the machine's host name and the checkout's path must not show in a snapshot.
    facts = replace(facts, hostname="demo.example")
    status = HostStatus(
        key="demo",
        uri="test:///.../limen_tui/demo/fleet.xml",
        state=LinkState.LIVE,
        since=FIXED_TIME,
        facts=facts,
        calls_last_tick=1,
        refresh_ms=2.0,
        domains=tick.total,
        demo=True,
    )
    web = next(r for r in tick.changed if r.name == "web-01")
    events = [
        DomainEventArrived(
            DomainEvent(
                FIXED_TIME,
                "demo",
                web.uuid,
                web.name,
                "lifecycle",
                "suspended",
                "paused",
                PowerState.PAUSED,
            ),
            web.with_state(PowerState.PAUSED),
        ),
        DomainEventArrived(
            DomainEvent(
                FIXED_TIME + 3,
                "demo",
                web.uuid,
                web.name,
                "lifecycle",
                "resumed",
                "unpaused",
                PowerState.RUNNING,
            ),
            web.with_state(PowerState.RUNNING),
        ),
    ]
    return [HostStatusChanged(status), DomainsRefreshed("demo", tick.changed, [], tick), *events]


def injected_app() -> LimenApp:
    return LimenApp([demo_uri()], Settings(), demo=True, start_fleet=False)


async def inject(app: LimenApp) -> None:
    for update in demo_snapshot_updates():
        app.publish(update)
    await wait_for(lambda: app.query_one(VmTable).row_count > 0)
