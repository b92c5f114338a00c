"""Building the console for tests: the live demo fleet, or its data injected with pollers off."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from textual.pilot import Pilot

from limen_tui.cli.factory import make_app
from limen_tui.config.settings import Settings
from limen_tui.demo import demo_uri
from limen_tui.fleet.host import Host
from limen_tui.fleet.reads import HostOverview, read_overview
from limen_tui.fleet.updates import DomainEventArrived, DomainsRefreshed, HostStatusChanged
from limen_tui.hosts.monitor import HealthSettings, HealthUpdated
from limen_tui.model import DomainEvent, HostStatus, LinkState, PowerState
from limen_tui.ui.app import LimenApp
from limen_tui.ui.frame import frame_of
from limen_tui.ui.key_hold import HoldKeysUntilFocused
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


def demo_app(settings: Settings | None = None, *, keymap: dict[str, str] | None = None) -> LimenApp:
    """The console on the live demo fleet (refreshing every 0.2 s), built as the command line
    builds it (each app gets a private copy of the demo fleet)."""
    return make_app(
        [demo_uri()], settings or Settings(refresh_interval=0.2), demo=True, keymap=keymap
    )


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


def injected_app(settings: Settings | None = None) -> LimenApp:
    """The console with no fleet (nothing polls): tests inject the updates with `inject`."""
    return make_app([demo_uri()], settings or Settings(), demo=True, start_fleet=False)


async def inject(app: LimenApp) -> None:
    await wait_for(lambda: app.main.showing)
    for update in demo_snapshot_updates():
        app.publish(update)
    await wait_for(lambda: app.query_one(VmTable).row_count > 0)
    await wait_for(lambda: frame_of(app).drawn)  # the events' lines and rows are drawn


class StillHost(Host):
    """A real Host that is never started (it polls nothing) and answers `overview` with what
    the demo hypervisor said once."""

    def __init__(self, status: HostStatus, fixed: HostOverview) -> None:
        super().__init__(status.uri, key=status.key, demo=True, health=HealthSettings())
        self.status = status
        self._fixed = fixed

    async def overview(self) -> HostOverview:
        return self._fixed


def still_host(health: HealthUpdated) -> Host:
    """The demo host as one real tick and two events left it, with `health` as its last
    sample (what the hosts screen is handed in its picture)."""
    ensure_event_loop()
    calls = CallCounter()
    conn = open_connection(demo_uri(), readonly=True, calls=calls, on_close=lambda _: None)
    try:
        fixed = read_overview(conn, calls, None, None)
    finally:
        close_quietly(conn)
    updates = demo_snapshot_updates()
    status = next(u.status for u in updates if isinstance(u, HostStatusChanged))
    rows = {r.uuid: r for u in updates if isinstance(u, DomainsRefreshed) for r in u.changed}
    rows.update((u.row.uuid, u.row) for u in updates if isinstance(u, DomainEventArrived) and u.row)
    host = StillHost(status, fixed)
    host.book.adopt(rows.values())
    assert host.health is not None
    host.health.last_sample, host.health.latest = health.sample, health
    return host


async def burst(pilot: Pilot[Any], *keys: str) -> None:
    """Keys as a terminal delivers a fast burst: all read at once, none waiting for the one
    before it to be handled (Pilot.press waits between keys, which hides every race)."""
    import unicodedata

    from textual import events
    from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

    driver = pilot.app._driver
    assert driver is not None
    for key in keys:
        if len(key) == 1 and not key.isalnum():
            key = _character_to_key(key)
        try:
            name = _get_unicode_name_from_key(REPLACED_KEYS.get(key, key))
            char: str | None = unicodedata.lookup(name)
        except KeyError:
            char = key if len(key) == 1 else None
        event = events.Key(key, char)
        event.set_sender(pilot.app)
        driver.send_message(event)
    await pilot.pause()
    # Every key handled, however busy the machine: a pause alone ends once the app is idle
    # by its own CPU time, while the held keys still wait for their timers.
    app = pilot.app
    if isinstance(app, HoldKeysUntilFocused):

        def settled() -> bool:
            return not app.keys_in_flight or bool(app._exit)  # (q ends the console)

        await wait_for(settled, 20)
        await pilot.pause()
        await wait_for(settled, 20)
    await pilot.pause(0.2)
