"""Devices and media on real QEMU VMs through the fleet: every change an operation confirmed by
libvirt's own event (device added/removed, tray moved, defined), each checked with virsh."""

from __future__ import annotations

import asyncio
import contextlib
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import libvirt
import pytest

from limen_tui.fleet.device_reads import vm_devices
from limen_tui.fleet.operations import Operation, OpState
from limen_tui.model.action_params import ActionParams
from limen_tui.model.device_params import (
    AttachDisk,
    AttachNic,
    ChangeMedia,
    DetachDisk,
    DetachNic,
    NewVolume,
    SetBootOrder,
)
from tests.conftest import MakeVm, Virsh
from tests.harness.libvirtd import make_qcow2
from tests.harness.side_monitor import SideMonitor, with_side_monitor
from tests.integration.test_actions import FAST, Console, _console

pytestmark = pytest.mark.libvirtd

DEVICE_SETTINGS = replace(FAST, confirm_timeout=8.0)


@pytest.fixture
async def console(libvirtd: str) -> AsyncIterator[Console]:
    async for c in _console(libvirtd, DEVICE_SETTINGS):
        yield c


async def change(console: Console, name: str, action: str, params: ActionParams) -> Operation:
    (row,) = await console.until_seen(name)
    (op,) = await console.fleet.perform([row], action, params)
    return op


@pytest.fixture
async def slow_console(libvirtd: str) -> AsyncIterator[Console]:
    async for c in _console(libvirtd, replace(FAST, confirm_timeout=30.0)):
        yield c


def blocks(virsh: Virsh, name: str, *more: str) -> dict[str, str]:
    """`virsh domblklist`: target -> source ("-" for an empty drive)."""
    out = virsh("domblklist", name, *more)
    return dict(line.split(None, 1) for line in out.splitlines() if line.strip())


def macs(virsh: Virsh, name: str, *more: str) -> list[str]:
    return re.findall(r"([0-9a-f]{2}(?::[0-9a-f]{2}){5})", virsh("domiflist", name, *more))


@pytest.fixture
def pool(libvirtd: str, vm_disk_dir: Path) -> Iterator[str]:
    """A directory pool of the test's own, removed after it."""
    conn = libvirt.open(libvirtd)
    name = f"limen-t-pool-{vm_disk_dir.name[-8:]}"
    xml = f"<pool type='dir'><name>{name}</name><target><path>{vm_disk_dir}</path></target></pool>"
    p = conn.storagePoolCreateXML(xml, 0)
    try:
        yield name
    finally:
        with contextlib.suppress(libvirt.libvirtError):
            p.destroy()
        conn.close()


async def test_the_event_layer_hears_tray_moves_and_failed_removals(console: Console) -> None:
    assert "tray change" not in console.session.unsupported_events
    assert "device removal failed" not in console.session.unsupported_events


async def test_a_disk_on_a_shut_off_vm_goes_to_its_persistent_config_and_back(
    console: Console, vm_factory: MakeVm, vm_disk_dir: Path, virsh: Virsh
) -> None:
    name = vm_factory("cold")
    disk = make_qcow2(vm_disk_dir / "data.qcow2")
    op = await change(console, name, "attach_disk", AttachDisk("vdb", disk))
    assert op.state is OpState.SUCCEEDED, op.error
    assert "persistent config" in op.note and "libvirt: defined" in op.note
    assert blocks(virsh, name, "--inactive") == {"vdb": disk}
    assert "type='qcow2'" in virsh("dumpxml", name, "--inactive")

    op = await change(console, name, "detach_disk", DetachDisk("vdb"))
    assert op.state is OpState.SUCCEEDED, op.error
    assert "vdb" not in blocks(virsh, name, "--inactive")
    assert [(a, o) for a, o in console.audited(name)] == [
        ("attach_disk", "succeeded"),
        ("detach_disk", "succeeded"),
    ]


async def test_a_disk_on_a_running_vm_is_attached_live_and_persistently(
    console: Console, vm_factory: MakeVm, vm_disk_dir: Path, virsh: Virsh
) -> None:
    name = vm_factory("warm", start=True)
    disk = make_qcow2(vm_disk_dir / "hot.qcow2")
    op = await change(console, name, "attach_disk", AttachDisk("vdb", disk))
    assert op.state is OpState.SUCCEEDED, op.error
    assert "now and in the persistent config" in op.note
    assert "libvirt: device added ua-limen-disk-" in op.note
    assert blocks(virsh, name)["vdb"] == disk
    assert blocks(virsh, name, "--inactive")["vdb"] == disk


async def test_a_new_volume_is_created_in_the_pool_and_attached(
    console: Console, vm_factory: MakeVm, pool: str, vm_disk_dir: Path, virsh: Virsh
) -> None:
    name = vm_factory("vol", start=True)
    new = NewVolume(pool, "extra.qcow2", 32 * 1024**2, "qcow2")
    op = await change(console, name, "attach_disk", AttachDisk("vdc", new_volume=new))
    assert op.state is OpState.SUCCEEDED, op.error
    path = str(vm_disk_dir / "extra.qcow2")
    assert "extra.qcow2" in virsh("vol-list", pool)
    assert "33554432" in virsh("vol-info", "--bytes", path)
    assert blocks(virsh, name)["vdc"] == path


async def test_a_missing_file_is_refused_and_nothing_changes(
    console: Console, vm_factory: MakeVm, vm_disk_dir: Path, virsh: Virsh
) -> None:
    cold, warm = vm_factory("nofile-cold"), vm_factory("nofile-warm", start=True)
    missing = str(vm_disk_dir / "not-there.qcow2")
    for name in (cold, warm):
        before = virsh("dumpxml", name, "--inactive")
        op = await change(console, name, "attach_disk", AttachDisk("vdb", missing))
        assert op.state is OpState.FAILED
        assert op.error == f"there is no file {missing} on this host; nothing was changed"
        assert virsh("dumpxml", name, "--inactive") == before
        assert "vdb" not in blocks(virsh, name)


async def test_a_nic_is_attached_live_and_a_guest_that_keeps_it_is_not_confirmed(
    console: Console, vm_factory: MakeVm, virsh: Virsh
) -> None:
    name = vm_factory("nic", start=True, nic="none")
    mac = "52:54:00:5e:00:42"
    op = await change(console, name, "attach_nic", AttachNic("user", mac=mac))
    assert op.state is OpState.SUCCEEDED, op.error
    assert "libvirt: device added ua-limen-nic-" in op.note
    assert macs(virsh, name) == [mac]
    assert macs(virsh, name, "--inactive") == [mac]

    # The PXE stub has no OS to release a PCI device: libvirt takes it out of the config,
    # the guest keeps it, and no "device removed" comes: never "succeeded".
    op = await change(console, name, "detach_nic", DetachNic(mac))
    assert op.state is OpState.NOT_CONFIRMED
    assert "libvirt sent no device removed for ua-limen-nic-" in op.error
    assert "the persistent config no longer has it" in op.error
    assert macs(virsh, name, "--inactive") == []
    assert console.audited(name) == [("attach_nic", "succeeded"), ("detach_nic", "failed")]


async def test_an_iso_is_inserted_and_ejected_confirmed_by_the_tray(
    console: Console, libvirtd: str, vm_factory: MakeVm, vm_disk_dir: Path, virsh: Virsh
) -> None:
    name = vm_factory("cdrom")
    iso = vm_disk_dir / "install.iso"
    iso.write_bytes(b"\0" * 2048 * 16)
    op = await change(console, name, "attach_disk", AttachDisk("hdc", bus="ide", cdrom=True))
    assert op.state is OpState.SUCCEEDED, op.error
    virsh("start", name)
    await past_the_firmware(libvirtd, name)

    op = await change(console, name, "change_media", ChangeMedia("hdc", str(iso)))
    assert op.state is OpState.SUCCEEDED, op.error
    assert "(libvirt: tray " in op.note
    assert blocks(virsh, name)["hdc"] == str(iso)
    assert blocks(virsh, name, "--inactive")["hdc"] == str(iso)

    op = await change(console, name, "change_media", ChangeMedia("hdc"))
    assert op.state is OpState.SUCCEEDED, op.error
    assert blocks(virsh, name)["hdc"] == "-"

    op = await change(console, name, "change_media", ChangeMedia("hdc", "/no/such.iso"))
    assert op.state is OpState.FAILED and "there is no file /no/such.iso" in op.error
    assert blocks(virsh, name)["hdc"] == "-"


@contextlib.asynccontextmanager
async def side_monitor(
    libvirtd: str, name: str, directory: Path, *, paused: bool = False
) -> AsyncIterator[SideMonitor]:
    """Starts `name` with a second QMP monitor of the test's own (see side_monitor.py)."""
    side = directory / "qmp"
    side.mkdir()
    side.chmod(0o777)  # QEMU (libvirt-qemu) makes the socket
    conn = libvirt.open(libvirtd)
    try:
        dom = conn.lookupByName(name)
        flags = libvirt.VIR_DOMAIN_XML_INACTIVE | libvirt.VIR_DOMAIN_XML_SECURE
        conn.defineXML(with_side_monitor(dom.XMLDesc(flags), side / "monitor.sock"))
        dom.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED if paused else 0)
    finally:
        conn.close()
    qemu = await SideMonitor.connect(side / "monitor.sock")
    try:
        yield qemu
    finally:
        await qemu.close()


def cdrom_alias(virsh: Virsh, name: str, target: str = "hdc") -> str:
    for disk in ET.fromstring(virsh("dumpxml", name)).iter("disk"):
        found = disk.find("target")
        alias = disk.find("alias")
        if found is not None and found.get("dev") == target and alias is not None:
            return alias.get("name", "")
    raise LookupError(target)


async def past_the_firmware(libvirtd: str, name: str) -> None:
    """Until iPXE sends its first DHCP request: SeaBIOS probed (and reset) every drive before
    it boots from anything, so a tray moved from now on stays where it is put."""
    conn = libvirt.open(libvirtd)
    try:
        dom = conn.lookupByName(name)
        (nic,) = re.findall(r"<target dev='(vnet\d+)'", dom.XMLDesc(0))
        end = asyncio.get_running_loop().time() + 60
        while dom.interfaceStats(nic)[4] == 0:  # tx bytes, as the guest sees them
            assert asyncio.get_running_loop().time() < end, "the guest sent nothing in 60 s"
            await asyncio.sleep(0.1)
    finally:
        conn.close()


def libvirt_has_tray_open(virsh: Virsh, name: str, target: str = "hdc") -> bool:
    xml = ET.fromstring(virsh("dumpxml", name))
    return any(t.get("dev") == target and t.get("tray") == "open" for t in xml.iter("target"))


async def test_a_guest_that_closes_the_tray_midway_gets_the_medium_changed_all_the_same(
    slow_console: Console, libvirtd: str, vm_factory: MakeVm, vm_disk_dir: Path, virsh: Virsh
) -> None:
    """libvirt opens the tray, the guest shuts it before the medium moves (seen on a busy CI
    host: 'Tray of device ... is not open'); the change is made again, each try whole. (When
    libvirt missed the tray open, each try waits 5 s: the console has 30 s, as by default.)"""
    console = slow_console
    name = vm_factory("tray")
    iso = vm_disk_dir / "install.iso"
    iso.write_bytes(b"\0" * 2048 * 16)
    op = await change(console, name, "attach_disk", AttachDisk("hdc", bus="ide", cdrom=True))
    assert op.state is OpState.SUCCEEDED, op.error
    async with side_monitor(libvirtd, name, vm_disk_dir) as guest:
        await past_the_firmware(libvirtd, name)  # its reset of the drive: the next test
        guest.close_on_open(1)
        op = await change(console, name, "change_media", ChangeMedia("hdc", str(iso)))
        assert op.state is OpState.SUCCEEDED, op.error
        assert guest.closed == 1
        # (the close nearly always comes before libvirt's next step; on a busy host it can
        # come after libvirt's own, and the change was made at the first try)
        assert blocks(virsh, name)["hdc"] == str(iso)

        guest.close_on_open(1)
        op = await change(console, name, "change_media", ChangeMedia("hdc"))
        assert op.state is OpState.SUCCEEDED, op.error
        assert guest.closed == 2
        assert blocks(virsh, name)["hdc"] == "-"

        # A guest that shuts it every time: the operator is told, the drive stays empty.
        guest.close_on_open(100)
        op = await change(console, name, "change_media", ChangeMedia("hdc", str(iso)))
        assert op.state is OpState.FAILED
        assert op.error.startswith("the guest kept the tray of hdc closed (3 tries): "), op.error
        assert guest.closed >= 2 + 3
        assert blocks(virsh, name)["hdc"] == "-"
    assert console.audited(name)[-3:] == [
        ("change_media", "succeeded"),
        ("change_media", "succeeded"),
        ("change_media", "failed"),
    ]


async def test_a_tray_libvirt_still_has_open_after_the_guest_reset_the_drive_is_explained(
    console: Console, libvirtd: str, vm_factory: MakeVm, vm_disk_dir: Path, virsh: Virsh
) -> None:
    """The CI failure's other half: SeaBIOS resets the IDE drive as it boots, which shuts an
    open tray without a word from QEMU, and libvirt's record keeps it open. libvirt then skips
    opening it and every change fails alike: the operator is told why, and nothing is lost."""
    name = vm_factory("stale")
    iso = vm_disk_dir / "install.iso"
    iso.write_bytes(b"\0" * 2048 * 16)
    op = await change(console, name, "attach_disk", AttachDisk("hdc", bus="ide", cdrom=True))
    assert op.state is OpState.SUCCEEDED, op.error
    op = await change(console, name, "change_media", ChangeMedia("hdc", str(iso)))
    assert op.state is OpState.SUCCEEDED, op.error
    async with side_monitor(libvirtd, name, vm_disk_dir, paused=True) as qemu:
        alias = cdrom_alias(virsh, name)
        await qemu.open_tray(alias)
        clock = asyncio.get_running_loop().time
        end = clock() + 10
        while not libvirt_has_tray_open(virsh, name):  # libvirt heard QEMU's tray event
            assert clock() < end, "libvirt never recorded the tray open"
            await asyncio.sleep(0.05)
        virsh("resume", name)
        end = clock() + 30
        while await qemu.tray_open(alias):  # until SeaBIOS resets the drive
            assert clock() < end, "SeaBIOS never reset the drive"
            await asyncio.sleep(0.1)
        assert libvirt_has_tray_open(virsh, name)  # libvirt's record is now out of date

        op = await change(console, name, "change_media", ChangeMedia("hdc"))
    assert op.state is OpState.FAILED
    assert op.error.startswith(
        "libvirt's record of the tray of hdc is out of date: it has it open, QEMU has it shut"
    ), op.error
    assert "nothing was changed" in op.error
    assert blocks(virsh, name)["hdc"] == str(iso)


async def test_live_attach_refused_by_the_driver_falls_back_to_the_config_with_the_reason(
    console: Console, vm_factory: MakeVm, virsh: Virsh
) -> None:
    name = vm_factory("ide", start=True)
    op = await change(console, name, "attach_disk", AttachDisk("hdd", bus="ide", cdrom=True))
    assert op.state is OpState.SUCCEEDED, op.error
    assert "applies at next boot (not live: " in op.note
    assert "hdd" in blocks(virsh, name, "--inactive")
    assert "hdd" not in blocks(virsh, name)


async def test_boot_order_is_set_in_the_persistent_config(
    console: Console, vm_factory: MakeVm, vm_disk_dir: Path, virsh: Virsh
) -> None:
    disk = make_qcow2(vm_disk_dir / "boot.qcow2")
    name = vm_factory("boot", disk_path=disk, start=True)
    (row,) = await console.until_seen(name)
    mac = (await vm_devices(console.session, row.uuid)).config.nics[0].mac
    op = await change(console, name, "set_boot_order", SetBootOrder(("vda", mac)))
    assert op.state is OpState.SUCCEEDED, op.error
    assert "applies at next boot" in op.note
    config = virsh("dumpxml", name, "--inactive")
    assert "<boot dev=" not in config
    disk_xml = config.split("<disk")[1].split("</disk>")[0]
    nic_xml = config.split("<interface")[1].split("</interface>")[0]
    assert "<boot order='1'/>" in disk_xml and "<boot order='2'/>" in nic_xml
    assert "<boot dev='network'/>" in virsh("dumpxml", name)  # the running VM is as it was

    op = await change(console, name, "set_boot_order", SetBootOrder(("vdz",)))
    assert op.state is OpState.FAILED and op.error == "this VM has no disk or NIC vdz"


async def test_a_nic_libvirt_named_itself_is_detached_by_its_mac(
    console: Console, vm_factory: MakeVm, virsh: Virsh
) -> None:
    name = vm_factory("ownnic", start=True, nic="user")
    (mac,) = macs(virsh, name)
    op = await change(console, name, "detach_nic", DetachNic(mac))
    assert op.state is OpState.NOT_CONFIRMED, op.error  # sent and accepted; the stub keeps it
    assert "device removed for net0" in op.error
    assert macs(virsh, name, "--inactive") == []
