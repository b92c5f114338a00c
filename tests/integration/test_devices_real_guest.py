"""Hot-plug on a real Linux guest: a guest that releases a device makes its detach succeed,
confirmed by libvirt's "device removed" (the PXE stub never releases one: not confirmed)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from limen_tui.fleet.operations import OpState
from limen_tui.model.device_params import AttachDisk, AttachNic, DetachDisk, DetachNic
from tests.conftest import MakeLinuxGuest, Virsh
from tests.harness.libvirtd import make_qcow2
from tests.harness.linux_guest import LinuxGuest
from tests.integration.test_actions import Console, _console
from tests.integration.test_devices import DEVICE_SETTINGS, blocks, change, macs
from tests.ui.helpers import wait_for

pytestmark = pytest.mark.libvirtd


@pytest.fixture(scope="module")
def guest(linux_guests: MakeLinuxGuest) -> LinuxGuest:
    return linux_guests("hotplug", disks=("qcow2",), nics=1)


@pytest.fixture
async def console(libvirtd: str) -> AsyncIterator[Console]:
    async for c in _console(libvirtd, DEVICE_SETTINGS):
        yield c


async def test_a_disk_is_hot_plugged_seen_by_the_guest_and_released(
    console: Console, guest: LinuxGuest, virsh: Virsh
) -> None:
    disk = make_qcow2(guest.directory / "hot.qcow2", size_mib=8)
    op = await change(console, guest.name, "attach_disk", AttachDisk("vdc", disk))
    assert op.state is OpState.SUCCEEDED, op.error
    assert blocks(virsh, guest.name)["vdc"] == disk
    await wait_for(
        lambda: "16384" in guest.shell.run("cat /sys/block/vd*/size; true"),
        20,
    )

    op = await change(console, guest.name, "detach_disk", DetachDisk("vdc"))
    assert op.state is OpState.SUCCEEDED, op.error
    assert "(libvirt: device removed ua-limen-disk-" in op.note
    assert "vdc" not in blocks(virsh, guest.name)
    assert "vdc" not in blocks(virsh, guest.name, "--inactive")


async def test_a_nic_is_hot_plugged_and_released(
    console: Console, guest: LinuxGuest, virsh: Virsh
) -> None:
    mac = "52:54:00:5e:00:77"
    op = await change(console, guest.name, "attach_nic", AttachNic("user", mac=mac))
    assert op.state is OpState.SUCCEEDED, op.error
    await wait_for(lambda: mac in guest.shell.run("cat /sys/class/net/*/address; true"), 20)
    op = await change(console, guest.name, "detach_nic", DetachNic(mac))
    assert op.state is OpState.SUCCEEDED, op.error
    assert "(libvirt: device removed ua-limen-nic-" in op.note
    assert mac not in macs(virsh, guest.name) and mac not in macs(virsh, guest.name, "--inactive")
