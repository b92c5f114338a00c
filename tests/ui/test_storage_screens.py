"""The pools, volumes and networks screens on the demo hypervisor: pictures at 80x24 and
120x40, and the safety rules of their keys.

The screens read through a real Host whose reads answer what the demo's test driver said once
(pollers off, so the picture does not move). The test driver has no DHCP server, so the one
lease in the networks picture is injected, and says so. What the changes do in libvirt is
tested on the real daemon (tests/integration/test_storage_networks.py); here `change` is
recorded, to check what the keys send and what they refuse to send.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from textual.pilot import Pilot

from limen_tui.demo import demo_uri
from limen_tui.fleet.host import Host
from limen_tui.fleet.host_resources import ResourceParams, target
from limen_tui.fleet.operations import Operation, OpState
from limen_tui.fleet.registry import RESOURCE_ACTIONS, ResourceActionId
from limen_tui.model.action_params import CreateVolume, OnVolume, PinAddress
from limen_tui.model.networks import Lease, Network
from limen_tui.model.storage import Pool, Volume
from limen_tui.ui.screens.networks import NetworksScreen
from limen_tui.ui.screens.pools import PoolsScreen
from limen_tui.ui.screens.volumes import VolumesScreen
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.connection import close_quietly, open_connection
from limen_tui.virt.eventloop import ensure_event_loop
from limen_tui.virt.networks import read_networks
from limen_tui.virt.storage import read_pools, read_volumes

from .helpers import inject, injected_app, wait_for

SIZES = [(80, 24), (120, 40)]
LEASE_ENDS = 2_000_000_000
"""A fixed end of the injected lease, far ahead (2033), so the picture never changes."""


@pytest.fixture(autouse=True)
def _utc() -> Iterator[None]:
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


class StillStorageHost(Host):
    """The demo host's pools, volumes and networks as its test driver said them once; every
    change is recorded, not sent."""

    def __init__(self) -> None:
        super().__init__(demo_uri(), key="demo", demo=True)
        ensure_event_loop()
        calls = CallCounter()
        conn = open_connection(demo_uri(), readonly=True, calls=calls, on_close=lambda _: None)
        try:
            self.fixed_pools = read_pools(conn, calls)
            self.fixed_volumes = {
                p.name: read_volumes(conn, p.name, calls) for p in self.fixed_pools
            }
            self.fixed_networks = read_networks(conn, calls)
        finally:
            close_quietly(conn)
        self.changes: list[tuple[str, ResourceParams]] = []
        vm = next(v.used_by[0] for v in self.fixed_volumes["vm-disks"] if v.used_by)
        # Injected: the test driver has no DHCP server.
        self.fixed_leases = [
            Lease("52:54:00:6b:3c:58", "192.168.122.45", 24, "web-01", LEASE_ENDS, vm)
        ]

    async def pools(self) -> list[Pool]:
        return self.fixed_pools

    async def volumes(self, pool: str) -> list[Volume]:
        return self.fixed_volumes[pool]

    async def networks(self) -> list[Network]:
        return self.fixed_networks

    async def leases(self, network: str) -> list[Lease]:
        return self.fixed_leases if network == "default" else []

    async def change(self, action: ResourceActionId, params: ResourceParams) -> Operation:
        self.changes.append((action, params))
        op = Operation.new(self.key, "", target(params), action, params)
        return op.running().finish(OpState.SUCCEEDED, note="recorded")


async def _pools(pilot: Pilot[None]) -> None:
    await inject(pilot.app)  # type: ignore[arg-type]
    pilot.app.push_screen(PoolsScreen(StillStorageHost()))
    await pilot.pause()
    await wait_for(lambda: bool(pilot.app.screen.query_one("#pools").row_count))  # type: ignore[attr-defined]
    await pilot.pause()


async def _volumes(pilot: Pilot[None]) -> None:
    await _pools(pilot)
    await pilot.press("down", "down", "enter")  # vm-disks: its volumes are the VMs' disks
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, VolumesScreen)
    await wait_for(lambda: bool(screen.volumes))
    await pilot.pause()


async def _networks(pilot: Pilot[None]) -> None:
    await inject(pilot.app)  # type: ignore[arg-type]
    pilot.app.push_screen(NetworksScreen(StillStorageHost()))
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, NetworksScreen)
    await wait_for(lambda: bool(screen.nets) and bool(screen.leases))
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_pools_screen(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(injected_app(), terminal_size=size, run_before=_pools)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_volumes_screen(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(injected_app(), terminal_size=size, run_before=_volumes)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_networks_screen(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(injected_app(), terminal_size=size, run_before=_networks)


async def _volumes_of(pilot: Pilot[Any], host: StillStorageHost, pool: str) -> VolumesScreen:
    (found,) = [p for p in host.fixed_pools if p.name == pool]
    pilot.app.push_screen(VolumesScreen(host, found))
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, VolumesScreen)
    await wait_for(lambda: bool(screen.volumes))
    return screen


def _row_of(screen: VolumesScreen, name: str) -> int:
    return [v.name for v in screen.volumes].index(name)


async def test_delete_is_refused_while_a_vm_uses_the_volume_naming_it() -> None:
    app = injected_app()
    async with app.run_test(size=(120, 40)) as pilot:
        host = StillStorageHost()
        screen = await _volumes_of(pilot, host, "default")
        used = next(v for v in screen.volumes if v.used_by)
        screen.query_one("#volumes").move_cursor(row=_row_of(screen, used.name))  # type: ignore[attr-defined]
        await pilot.press("D")
        await pilot.pause()
        assert pilot.app.screen is screen  # no question: it cannot be deleted at all
        said = [n.message for n in pilot.app._notifications]
        assert any(used.used_by[0] in m and "used by" in m for m in said), said
        assert host.changes == []


async def test_delete_asks_for_the_volume_name_and_a_wrong_name_deletes_nothing() -> None:
    app = injected_app()
    async with app.run_test(size=(120, 40)) as pilot:
        host = StillStorageHost()
        screen = await _volumes_of(pilot, host, "default")
        orphan = next(v for v in screen.volumes if not v.used_by)
        screen.query_one("#volumes").move_cursor(row=_row_of(screen, orphan.name))  # type: ignore[attr-defined]
        await pilot.press("D")
        await pilot.pause()
        await pilot.press(*"wrong-name", "enter")
        await pilot.pause()
        assert "nothing was changed" in str(pilot.app.screen.query_one("#problem").render())
        assert host.changes == []
        await pilot.press(*("backspace",) * len("wrong-name"), *orphan.name, "enter")
        await wait_for(lambda: bool(host.changes))
        assert host.changes == [("volume_delete", OnVolume("default", orphan.name))]


async def test_a_bad_size_is_said_in_the_form_and_nothing_is_sent() -> None:
    app = injected_app()
    async with app.run_test(size=(80, 24)) as pilot:
        host = StillStorageHost()
        await _volumes_of(pilot, host, "default")
        await pilot.press("c", *"new.qcow2", "enter", "enter", *"10X", "enter")
        await pilot.pause()
        problem = str(pilot.app.screen.query_one("#problem").render())
        assert "is not a size" in problem and "10G" in problem
        assert host.changes == []
        await pilot.press("backspace", "G", "enter")
        await wait_for(lambda: bool(host.changes))
        assert host.changes == [
            ("volume_create", CreateVolume("default", "new.qcow2", "qcow2", 10 * 1024**3))
        ]


async def test_pinning_a_lease_fills_the_form_from_it() -> None:
    app = injected_app()
    async with app.run_test(size=(120, 40)) as pilot:
        host = StillStorageHost()
        pilot.app.push_screen(NetworksScreen(host))
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, NetworksScreen)
        await wait_for(lambda: bool(screen.leases))
        await pilot.press("p", "enter", "enter", "enter")
        await wait_for(lambda: bool(host.changes))
        lease = host.fixed_leases[0]
        assert host.changes == [("dhcp_pin", PinAddress("default", lease.mac, lease.ip, lease.vm))]


@pytest.mark.parametrize(
    ("typed", "screen_type"),
    [(":pool", PoolsScreen), (":net", NetworksScreen), (":vol vm-disks", VolumesScreen)],
)
async def test_the_command_line_opens_the_screens(typed: str, screen_type: type) -> None:
    from limen_tui.ui.screens import other_screens

    app = injected_app()
    host = StillStorageHost()
    async with app.run_test(size=(120, 40)) as pilot:
        await inject(app)
        main: Any = app.main
        original = other_screens.pools, other_screens.networks
        try:  # the injected app's host has no connection: hand the screens the still host
            other_screens.pools = lambda s, _h, pool="": s.app.push_screen(  # type: ignore[assignment]
                PoolsScreen(host, open_pool=pool)
            )
            other_screens.networks = lambda s, _h: s.app.push_screen(NetworksScreen(host))  # type: ignore[assignment]
            main.command_entered(typed)
            await pilot.pause()
            await wait_for(lambda: isinstance(app.screen, screen_type))
        finally:
            other_screens.pools, other_screens.networks = original


def test_every_storage_and_network_action_has_a_key_on_its_screen_and_in_help() -> None:
    from textual.binding import Binding

    from limen_tui.ui.command_line import help_lines
    from limen_tui.ui.screens.other_screens import help_keys
    from limen_tui.ui.screens.resource_base import ResourceScreen

    screens: dict[str, type[ResourceScreen]] = {
        "pool": PoolsScreen,
        "volume": VolumesScreen,
        "network": NetworksScreen,
    }
    groups = dict(help_keys([], {}))
    for spec in RESOURCE_ACTIONS.values():
        bindings = screens[spec.on].BINDINGS
        bound = [b for b in bindings if isinstance(b, Binding) and b.description == spec.label]
        assert [b.key for b in bound] == [spec.key], spec.id
        assert any(label == spec.label for rows in groups.values() for _k, label in rows)
        assert any(label == spec.label for _c, label in help_lines())
