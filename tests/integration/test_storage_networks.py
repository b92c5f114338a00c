"""Pools, volumes and networks changed through the fleet on the real libvirtd, each outcome
checked independently with virsh (vol-list, vol-info, pool-info, net-dumpxml, net-dhcp-leases).

Every pool and network here is named limen-t-<hex>-..., lives under the test's tmp path, and is
removed by this file's own cleanup (the harness sweeps only domains).
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from functools import partial
from pathlib import Path

import libvirt
import pytest

from limen_tui.config.settings import Settings
from limen_tui.fleet.fleet import Fleet
from limen_tui.fleet.host import Host
from limen_tui.fleet.operations import OpState, audit_to
from limen_tui.fleet.updates import DomainsRefreshed, FleetUpdate
from limen_tui.model import LinkState
from limen_tui.model.action_params import (
    CloneVolume,
    CreateVolume,
    DefinePool,
    NetworkAutostart,
    OnNetwork,
    OnPool,
    OnVolume,
    PinAddress,
    PoolAutostart,
    ResizeVolume,
)
from limen_tui.store.audit import AuditLog
from tests.conftest import MakeVm, Virsh
from tests.harness.libvirtd import unique_prefix
from tests.ui.helpers import wait_for

pytestmark = pytest.mark.libvirtd

FAST = Settings(refresh_interval=0.5, confirm_timeout=20.0)
MIB = 1024 * 1024


class Made:
    """Pools and networks this test made, and only those, removed at the end."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.prefix = unique_prefix()
        self.pools: list[str] = []
        self.networks: list[str] = []

    def cleanup(self) -> None:
        conn = libvirt.open(self.uri)
        try:
            for name in self.pools:
                with contextlib.suppress(libvirt.libvirtError):
                    pool = conn.storagePoolLookupByName(name)
                    with contextlib.suppress(libvirt.libvirtError):
                        if not pool.isActive():
                            pool.create(0)
                        for vol in pool.listAllVolumes(0):
                            vol.delete(0)
                    with contextlib.suppress(libvirt.libvirtError):
                        pool.destroy()
                    pool.undefine()
            for name in self.networks:
                with contextlib.suppress(libvirt.libvirtError):
                    net = conn.networkLookupByName(name)
                    with contextlib.suppress(libvirt.libvirtError):
                        net.destroy()
                    net.undefine()
        finally:
            conn.close()


@pytest.fixture
def made(libvirtd: str) -> Iterator[Made]:
    m = Made(libvirtd)
    try:
        yield m
    finally:
        m.cleanup()


@pytest.fixture
async def host(libvirtd: str) -> AsyncIterator[tuple[Host, AuditLog]]:
    updates: list[FleetUpdate] = []
    audit = AuditLog()
    fleet = Fleet([libvirtd], updates.append, FAST, audit=audit_to(audit))
    fleet.start()
    h = fleet.hosts[libvirtd]
    await wait_for(lambda: h.status.state is LinkState.LIVE, limit=30)
    await wait_for(lambda: any(isinstance(u, DomainsRefreshed) for u in updates), 30)
    try:
        yield h, audit
    finally:
        await fleet.stop()


def _field(text: str, name: str) -> str:
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == name:
            return value.strip()
    raise AssertionError(f"no {name} in {text!r}")


async def test_a_directory_pool_and_its_volumes_through_the_fleet(
    host: tuple[Host, AuditLog],
    made: Made,
    virsh: Virsh,
    vm_factory: MakeVm,
    tmp_path: Path,
) -> None:
    h, audit = host
    name = f"{made.prefix}pool"
    made.pools.append(name)
    folder = tmp_path / "pool"

    op = await h.change("pool_define", DefinePool(name, str(folder)))
    assert op.state is OpState.SUCCEEDED, op.error
    assert "libvirt: defined" in op.note
    assert folder.is_dir()
    assert _field(virsh("pool-info", name), "State") == "inactive"

    op = await h.change("pool_start", OnPool(name))
    assert (op.state, "libvirt: started" in op.note) == (OpState.SUCCEEDED, True), op.error
    assert _field(virsh("pool-info", name), "State") == "running"

    op = await h.change("pool_autostart", PoolAutostart(name, True))
    assert op.state is OpState.SUCCEEDED and "read back" in op.note, op.error
    assert _field(virsh("pool-info", name), "Autostart") == "yes"

    op = await h.change("volume_create", CreateVolume(name, "disk.qcow2", "qcow2", 8 * MIB))
    assert op.state is OpState.SUCCEEDED, op.error
    info = virsh("vol-info", "--pool", name, "disk.qcow2")
    assert _field(info, "Capacity") == "8.00 MiB"
    assert "disk.qcow2" in virsh("vol-list", name)
    dumped = ET.fromstring(virsh("vol-dumpxml", "--pool", name, "disk.qcow2"))
    assert dumped.find("target/format").get("type") == "qcow2"  # type: ignore[union-attr]

    op = await h.change("volume_create", CreateVolume(name, "data.raw", "raw", 4 * MIB))
    assert op.state is OpState.SUCCEEDED, op.error

    op = await h.change("volume_resize", ResizeVolume(name, "data.raw", 16 * MIB))
    assert op.state is OpState.SUCCEEDED, op.error
    assert _field(virsh("vol-info", "--pool", name, "data.raw"), "Capacity") == "16.00 MiB"

    op = await h.change("volume_resize", ResizeVolume(name, "data.raw", 2 * MIB))
    assert op.state is OpState.REFUSED and "shrinking" in op.error
    assert _field(virsh("vol-info", "--pool", name, "data.raw"), "Capacity") == "16.00 MiB"

    op = await h.change("volume_clone", CloneVolume(name, "data.raw", "copy.raw"))
    assert op.state is OpState.SUCCEEDED, op.error
    assert _field(virsh("vol-info", "--pool", name, "copy.raw"), "Capacity") == "16.00 MiB"

    # A VM using disk.qcow2: the volume list names it, delete and wipe are refused naming it.
    vm = vm_factory("user", disk_path=str(folder / "disk.qcow2"))
    volumes = {v.name: v for v in await h.volumes(name)}
    assert volumes["disk.qcow2"].used_by == (vm,)
    assert volumes["copy.raw"].used_by == ()
    assert volumes["disk.qcow2"].format == "qcow2"
    for action in ("volume_delete", "volume_wipe"):
        op = await h.change(action, OnVolume(name, "disk.qcow2"))
        assert op.state is OpState.REFUSED and vm in op.error, op.error
    assert "disk.qcow2" in virsh("vol-list", name)

    op = await h.change("volume_wipe", OnVolume(name, "copy.raw"))
    assert op.state is OpState.SUCCEEDED, op.error
    op = await h.change("volume_delete", OnVolume(name, "copy.raw"))
    assert op.state is OpState.SUCCEEDED and "gone" in op.note, op.error
    assert "copy.raw" not in virsh("vol-list", name)

    op = await h.change("pool_refresh", OnPool(name))
    assert op.state is OpState.SUCCEEDED and "libvirt: refreshed" in op.note, op.error

    op = await h.change("pool_stop", OnPool(name))
    assert op.state is OpState.SUCCEEDED and "libvirt: stopped" in op.note, op.error
    assert _field(virsh("pool-info", name), "State") == "inactive"

    outcomes = [(r.action, r.outcome) for r in audit.query() if r.vm and name in r.vm]
    assert ("pool_define", "succeeded") in outcomes
    assert ("volume_delete", "refused") in outcomes
    assert ("pool_stop", "succeeded") in outcomes


def _network_xml(name: str, bridge: str, octet: int) -> str:
    # mode='open': dnsmasq serves DHCP, and libvirt adds no firewall rules on this machine.
    return (
        f"<network><name>{name}</name><forward mode='open'/><bridge name='{bridge}'/>"
        f"<ip address='10.{octet}.7.1' netmask='255.255.255.0'><dhcp>"
        f"<range start='10.{octet}.7.10' end='10.{octet}.7.50'/></dhcp></ip></network>"
    )


async def test_a_network_started_stopped_and_an_address_pinned(
    host: tuple[Host, AuditLog], made: Made, virsh: Virsh, tmp_path: Path
) -> None:
    h, _audit = host
    name = f"{made.prefix}net"
    bridge = f"lt{made.prefix[8:16]}"
    made.networks.append(name)
    xml = tmp_path / "net.xml"
    xml.write_text(_network_xml(name, bridge, 250))
    virsh("net-define", str(xml))

    op = await h.change("network_start", OnNetwork(name))
    assert op.state is OpState.SUCCEEDED and "libvirt: started" in op.note, op.error
    assert _field(virsh("net-info", name), "Active") == "yes"

    op = await h.change("network_autostart", NetworkAutostart(name, True))
    assert op.state is OpState.SUCCEEDED, op.error
    assert _field(virsh("net-info", name), "Autostart") == "yes"

    (net,) = [n for n in await h.networks() if n.name == name]
    assert (net.active, net.bridge, net.forward) == (True, bridge, "open")
    assert net.dhcp_ranges == ("10.250.7.10-10.250.7.50",)

    pin = PinAddress(name, "52:54:00:aa:bb:01", "10.250.7.20", "pinned-vm")
    op = await h.change("dhcp_pin", pin)
    assert op.state is OpState.SUCCEEDED, op.error
    entry = "<host mac='52:54:00:aa:bb:01' name='pinned-vm' ip='10.250.7.20'/>"
    assert entry in virsh("net-dumpxml", name)
    assert entry in virsh("net-dumpxml", "--inactive", name)

    op = await h.change("dhcp_pin", PinAddress(name, "52:54:00:aa:bb:02", "10.250.7.20"))
    assert op.state is OpState.REFUSED and "already pins" in op.error

    op = await h.change("dhcp_unpin", pin)
    assert op.state is OpState.SUCCEEDED, op.error
    assert "52:54:00:aa:bb:01" not in virsh("net-dumpxml", name)
    assert "52:54:00:aa:bb:01" not in virsh("net-dumpxml", "--inactive", name)

    assert await h.leases(name) == []
    assert "10.250.7" not in virsh("net-dhcp-leases", name)

    op = await h.change("network_stop", OnNetwork(name))
    assert op.state is OpState.SUCCEEDED and "libvirt: stopped" in op.note, op.error
    assert _field(virsh("net-info", name), "Active") == "no"


DHCP_CLIENT = Path(__file__).parents[1] / "harness" / "dhcp_client.py"


class Namespace:
    """A network namespace with one veth end in it, the other on a bridge: a client whose
    MAC is the test's choice asks libvirt's dnsmasq for a real lease."""

    def __init__(self, name: str, bridge: str, mac: str) -> None:
        self.name, self.inside = name, f"{name[-8:]}b"
        outside = f"{name[-8:]}a"
        run = partial(subprocess.run, check=True, capture_output=True, timeout=30)
        run(["ip", "netns", "add", name])
        run(["ip", "link", "add", outside, "type", "veth", "peer", "name", self.inside])
        run(["ip", "link", "set", outside, "master", bridge, "up"])
        run(["ip", "link", "set", self.inside, "netns", name])
        run(["ip", "netns", "exec", name, "ip", "link", "set", self.inside, "address", mac])
        run(["ip", "netns", "exec", name, "ip", "link", "set", self.inside, "up"])

    def lease(self, hostname: str) -> str:
        client = [sys.executable, str(DHCP_CLIENT), self.inside, hostname]
        done = subprocess.run(
            ["ip", "netns", "exec", self.name, *client],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done.stdout.strip()

    def remove(self) -> None:
        # The veth pair goes with the namespace.
        subprocess.run(["ip", "netns", "del", self.name], check=False, timeout=30)


def _vm_mac(virsh: Virsh, vm: str) -> str:
    root = ET.fromstring(virsh("dumpxml", vm))
    mac = root.find("devices/interface/mac")
    assert mac is not None
    return mac.get("address", "")


async def test_a_real_lease_names_its_vm_and_the_screen_shows_it(
    host: tuple[Host, AuditLog],
    made: Made,
    virsh: Virsh,
    vm_factory: MakeVm,
    tmp_path: Path,
) -> None:
    h, _audit = host
    name = f"{made.prefix}lease"
    bridge = f"lt{made.prefix[8:16]}"
    made.networks.append(name)
    (tmp_path / "net.xml").write_text(_network_xml(name, bridge, 249))
    virsh("net-define", str(tmp_path / "net.xml"))
    virsh("net-start", name)
    vm = vm_factory("leased")
    mac = _vm_mac(virsh, vm)
    ns = Namespace(made.prefix.rstrip("-"), bridge, mac)
    try:
        ip = await asyncio.to_thread(ns.lease, "leased-host")
    finally:
        ns.remove()
    assert ip.startswith("10.249.7.")
    shown = virsh("net-dhcp-leases", name)
    assert mac in shown and ip in shown

    (lease,) = await h.leases(name)
    assert (lease.mac, lease.ip, lease.hostname, lease.vm) == (mac, ip, "leased-host", vm)
    assert lease.expiry > time.time()

    from textual.app import App
    from textual.widgets import DataTable

    from limen_tui.ui.screens.networks import NetworksScreen

    app: App[None] = App()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = NetworksScreen(h)
        app.push_screen(screen)
        await pilot.pause()
        rows = screen.query_one("#networks", DataTable)
        await wait_for(lambda: rows.row_count > 0, limit=20)
        rows.move_cursor(row=[n.name for n in screen.nets].index(name))
        leases = screen.query_one("#leases", DataTable)
        await wait_for(lambda: leases.row_count == 1, limit=20)
        cells = [str(c) for c in leases.get_row_at(0)]
        assert cells[0] == mac and cells[1] == f"{ip}/24" and cells[4] == vm

        await pilot.press("p", "enter", "enter", "enter")  # pin this lease's address to it
        await wait_for(lambda: "succeeded" in screen.last_outcome, limit=30)
    entry = f"<host mac='{mac}' name='{vm}' ip='{ip}'/>"
    assert entry in virsh("net-dumpxml", name)
    assert entry in virsh("net-dumpxml", "--inactive", name)


async def test_the_volumes_screen_creates_and_deletes_for_real(
    host: tuple[Host, AuditLog], made: Made, virsh: Virsh, tmp_path: Path
) -> None:
    from textual.app import App

    from limen_tui.ui.screens.volumes import VolumesScreen

    h, _audit = host
    name = f"{made.prefix}uipool"
    made.pools.append(name)
    assert (await h.change("pool_define", DefinePool(name, str(tmp_path / "p")))).note
    assert (await h.change("pool_start", OnPool(name))).state is OpState.SUCCEEDED
    (pool,) = [p for p in await h.pools() if p.name == name]
    assert (pool.kind, pool.path, pool.active) == ("dir", str(tmp_path / "p"), True)

    app: App[None] = App()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = VolumesScreen(h, pool)
        app.push_screen(screen)
        await pilot.pause()
        await pilot.press("c", *"ui.raw", "enter", "backspace", "backspace", "backspace")
        await pilot.press("backspace", "backspace", *"raw", "enter", *"3M", "enter")
        await wait_for(lambda: "succeeded" in screen.last_outcome, limit=30)
        await wait_for(lambda: [v.name for v in screen.volumes] == ["ui.raw"], limit=20)
        assert _field(virsh("vol-info", "--pool", name, "ui.raw"), "Capacity") == "3.00 MiB"
        assert screen.volumes[0].used_by == ()

        screen.last_outcome = ""
        await pilot.press("D", *"ui.ra", "enter")  # not its name: nothing happens
        await pilot.pause()
        assert "ui.raw" in virsh("vol-list", name)
        await pilot.press("w", "enter")
        await wait_for(lambda: "succeeded" in screen.last_outcome, limit=30)
    assert "ui.raw" not in virsh("vol-list", name)


async def test_a_read_only_session_changes_nothing_and_audits_the_refusal(
    libvirtd: str, made: Made, virsh: Virsh, tmp_path: Path
) -> None:
    from dataclasses import replace

    audit = AuditLog()
    fleet = Fleet([libvirtd], lambda _u: None, replace(FAST, readonly=True), audit=audit_to(audit))
    fleet.start()
    h = fleet.hosts[libvirtd]
    name = f"{made.prefix}ro"
    made.pools.append(name)
    try:
        await wait_for(lambda: h.status.state is LinkState.LIVE, limit=30)
        op = await h.change("pool_define", DefinePool(name, str(tmp_path / "ro")))
    finally:
        await fleet.stop()
    assert op.state is OpState.REFUSED and "read-only" in op.error
    assert name not in virsh("pool-list", "--all")
    assert [(r.action, r.outcome) for r in audit.query() if r.vm == f"pool {name}"] == [
        ("pool_define", "refused")
    ]
