"""The safety rules of the pools, volumes and networks screens' keys, on the demo's data.

The screens read through a real Host whose reads answer what the demo's test driver said once
(storage_host.py; their pictures are scenes in scenes.py). What the changes do in libvirt is
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

from limen_tui.fleet.registry import RESOURCE_ACTIONS
from limen_tui.model.action_params import CreateVolume, OnVolume, PinAddress
from limen_tui.ui.screens.networks import NetworksScreen
from limen_tui.ui.screens.pools import PoolsScreen
from limen_tui.ui.screens.volumes import VolumesScreen

from .helpers import inject, injected_app, wait_for
from .storage_host import StillStorageHost


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


@pytest.fixture
def _utc() -> Iterator[None]:
    # The screens print clock times (a lease's end): pin the zone so the picture does not move.
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.mark.usefixtures("_utc")
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("scene", ["pools", "volumes", "networks"])
def test_storage_and_network_pictures(snap_compare: Any, scene: str, size: tuple[int, int]) -> None:
    from .scenes import SCENES

    assert snap_compare(injected_app(), terminal_size=size, run_before=SCENES[scene])


async def test_stopping_a_pool_asks_first_and_enter_means_no() -> None:
    from limen_tui.model.action_params import OnPool
    from limen_tui.ui.screens.confirm import ConfirmScreen

    app = injected_app()
    async with app.run_test(size=(80, 24)) as pilot:
        host = StillStorageHost()
        screen = PoolsScreen(host)
        pilot.app.push_screen(screen)
        await wait_for(lambda: bool(screen.pools))
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmScreen)
        assert "backup" in str(pilot.app.screen.question)
        await pilot.press("enter")
        await pilot.pause()
        assert host.changes == []
        await pilot.press("h", "y")
        await wait_for(lambda: bool(host.changes))
        assert host.changes == [("pool_stop", OnPool("backup"))]


async def test_a_read_only_session_offers_no_changes() -> None:
    from dataclasses import replace

    app = injected_app()
    async with app.run_test(size=(80, 24)) as pilot:
        host = StillStorageHost()
        host.settings = replace(host.settings, readonly=True)
        screen = await _volumes_of(pilot, host, "default")
        await pilot.press("c", "D", "z")
        await pilot.pause()
        assert pilot.app.screen is screen
        assert host.changes == []


async def test_p_and_n_open_the_screens_of_the_selected_vms_host_on_the_live_demo() -> None:
    from .helpers import demo_app

    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        main: Any = app.main
        await wait_for(lambda: main.table.row_count > 0, limit=20)
        main.set_focus(main.table)
        await pilot.press("P")
        screen = app.screen
        assert isinstance(screen, PoolsScreen) and screen.host.key == main.table.selected_row.host
        await wait_for(lambda: bool(screen.pools), limit=20)
        assert [p.name for p in screen.pools] == ["backup", "default", "vm-disks"]
        await pilot.press("escape", "N")
        nets = app.screen
        assert isinstance(nets, NetworksScreen)
        await wait_for(lambda: bool(nets.nets), limit=20)
        assert {n.name for n in nets.nets} >= {"default", "storage"}


def test_the_command_line_knows_pool_vol_and_net() -> None:
    from limen_tui.ui.command_line import complete, help_lines, parse

    assert parse(":vol vm-disks hv2") == parse("volumes vm-disks hv2")
    assert parse(":vol vm-disks hv2").args == ("vm-disks", "hv2")
    assert parse(":networks").name == "net" and parse(":pools").name == "pool"
    assert complete("po").candidates == ("pool", "pools")
    assert complete("pool h", hosts=["hv1", "hv2"]).candidates == ("hv1", "hv2")
    assert {":pool", ":vol", ":net"} <= {c for c, _ in help_lines()}


async def test_vol_without_a_pool_says_what_to_type() -> None:
    app = injected_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await inject(app)
        main: Any = app.main
        main.command_entered("vol")
        await pilot.pause()
        assert any("vol needs a pool" in n.message for n in app._notifications)
        main.command_entered("pool nosuchhost")
        await pilot.pause()
        assert any("no host nosuchhost" in n.message for n in app._notifications)
        assert not isinstance(app.screen, PoolsScreen)
