"""A real guest's IP address through the chain: its agent, then leases, then the host's ARP
table; and the reason in words when nothing knows it."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest

from limen_tui.config.settings import Settings
from limen_tui.fleet.host import Host
from limen_tui.model import LinkState
from limen_tui.model.addresses import GuestAddresses
from limen_tui.store.cache import Cache
from limen_tui.virt.addresses import guest_addresses, read_local_neighbours
from limen_tui.virt.calls import CallCounter
from tests.conftest import MakeLinuxGuest
from tests.harness.linux_guest import LinuxGuest
from tests.ui.helpers import wait_for

AGENT_WAIT_S = 20.0


@pytest.fixture(scope="module")
def guest(linux_guests: MakeLinuxGuest) -> LinuxGuest:
    return linux_guests("addresses", disks=(), nics=1)


def ask(guest: LinuxGuest) -> GuestAddresses:
    return guest_addresses(guest.dom, CallCounter(), read_local_neighbours)


def ask_until(guest: LinuxGuest, done: object, timeout: float = AGENT_WAIT_S) -> GuestAddresses:
    """libvirt notices an agent come or go through the virtio-serial port's state; ask again
    until it has (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        result = ask(guest)
        if result.source == done or time.monotonic() >= deadline:
            return result
        time.sleep(0.2)  # between two asks of a bounded wait


def forget_neighbours(guest: LinuxGuest) -> None:
    for nic in guest.nics:
        subprocess.run(["ip", "neigh", "flush", "dev", nic.tap], check=True)


@pytest.fixture
def agent_stopped(guest: LinuxGuest) -> Iterator[None]:
    guest.shell.run("kill $(cat /run/qemu-ga.pid) 2>/dev/null; rm -f /run/qemu-ga.pid; true")
    yield
    guest.shell.run("[ -e /run/qemu-ga.pid ] || start-agent")
    assert ask_until(guest, "agent").source == "agent", "the agent did not come back"


def test_with_the_agent_the_guest_says_its_address(guest: LinuxGuest) -> None:
    result = ask_until(guest, "agent")
    nic = guest.nics[0]
    assert result.source == "agent"
    assert [(a.address, a.prefix, a.mac) for a in result.addresses] == [
        (nic.guest_ip, nic.prefix, nic.mac)
    ]


def test_with_nothing_known_the_reason_is_given(guest: LinuxGuest, agent_stopped: None) -> None:
    forget_neighbours(guest)
    result = ask_until(guest, None)
    assert result.addresses == ()
    assert result.reason == "no agent, no lease, no ARP entry: is the guest up?"


def test_with_the_agent_stopped_traffic_puts_the_address_in_the_arp_table(
    guest: LinuxGuest, agent_stopped: None
) -> None:
    forget_neighbours(guest)
    nic = guest.nics[0]
    guest.shell.run(f"ping -c 1 -W 5 {nic.host_ip} >/dev/null")
    result = ask_until(guest, "arp")
    assert result.source == "arp"
    assert [(a.address, a.mac, a.interface) for a in result.addresses] == [
        (nic.guest_ip, nic.mac, nic.tap)
    ]
    assert [t.failure for t in result.tried[:2]] == ["no agent", "no lease"]


async def test_the_host_gives_the_guests_address_and_keeps_it_briefly(
    libvirtd: str, guest: LinuxGuest
) -> None:
    """Through the fleet, as the screens ask: the agent's address, then the cache's."""
    assert ask_until(guest, "agent").source == "agent"
    with Cache() as cache:  # the test's private XDG cache folder
        host = Host(libvirtd, settings=Settings(refresh_interval=600), cache=cache)
        host.start()
        try:
            await wait_for(lambda: host.status.state is LinkState.LIVE and bool(host.rows), 30)
            uuid = next(r.uuid for r in host.rows.values() if r.name == guest.name)
            first = await host.addresses(uuid)
            asked = host.calls.tally().get("interfaceAddresses (agent)", 0)
            again = await host.addresses(uuid)
            assert first.source == "agent" and again == first
            assert [a.address for a in first.addresses] == [guest.nics[0].guest_ip]
            assert host.calls.tally().get("interfaceAddresses (agent)", 0) == asked  # cached
        finally:
            await host.stop()


async def test_the_table_column_gets_the_address_from_the_host_without_asking_the_guest(
    libvirtd: str, guest: LinuxGuest
) -> None:
    """The IP column's chain: the host's leases and neighbour table, never the agent; a
    second round within the TTL asks nothing."""
    nic = guest.nics[0]
    forget_neighbours(guest)
    guest.shell.run(f"ping -c 1 -W 5 {nic.host_ip} >/dev/null")
    host = Host(libvirtd, settings=Settings(refresh_interval=600))
    host.start()
    try:
        await wait_for(lambda: host.status.state is LinkState.LIVE and bool(host.rows), 30)
        uuid = next(r.uuid for r in host.rows.values() if r.name == guest.name)
        before = host.calls.tally()
        await host.ask_addresses([uuid])
        row = host.rows[uuid]
        assert (row.address, row.address_source) == (nic.guest_ip, "arp")
        made = {k: v - before.get(k, 0) for k, v in host.calls.tally().items()}
        made = {k: v for k, v in made.items() if v}
        assert not any(k.startswith("interfaceAddresses") for k in made), made
        networks = len(host.link.conn.listAllNetworks(1)) if host.link.conn else 0
        assert made.get("networkDHCPLeases (addresses)", 0) == networks, made
        again = host.calls.tally()
        await host.ask_addresses([uuid])
        assert host.calls.tally() == again, "asked again within the TTL"
    finally:
        await host.stop()


async def test_the_ip_column_shows_the_guests_address_on_a_wide_terminal(
    libvirtd: str, guest: LinuxGuest
) -> None:
    """As the operator sees it: the console on the real host, 200 cells wide, the guest on
    screen; its IP cell shows the address the host's neighbour table has."""
    from limen_tui.cli.factory import make_app
    from limen_tui.ui.widgets.vm_table import VmTable
    from tests.ui.helpers import burst

    nic = guest.nics[0]
    guest.shell.run(f"ping -c 1 -W 5 {nic.host_ip} >/dev/null")
    app = make_app([libvirtd], Settings(refresh_interval=1.0))
    async with app.run_test(size=(200, 50)) as pilot:
        table = app.query_one(VmTable)
        await wait_for(lambda: any(r.name == guest.name for r in table.rows_by_key.values()), 30)
        await burst(pilot, "slash", *guest.name, "enter")  # the guest on screen
        key = next(k for k, r in table.rows_by_key.items() if r.name == guest.name)

        def cell() -> str:
            index = table.model.index(key)
            keys = [c.key for c in table.shown_columns]
            if index is None or "ip" not in keys:
                return ""
            return table.cells_at(index)[keys.index("ip")].plain

        await wait_for(lambda: cell() == nic.guest_ip, 30)
