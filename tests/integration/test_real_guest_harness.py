"""Proves the real Linux guest: it boots fast, its agent answers, the power button powers it off,
and nothing of it is left on the host afterwards."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator

import libvirt
import pytest

from limen_tui.virt.eventloop import ensure_event_loop
from tests.conftest import MakeLinuxGuest
from tests.harness.guest_image import GuestBoot, guest_boot
from tests.harness.linux_guest import LinuxGuest

BOOT_BUDGET_S = 15.0
"""About 5 s on an idle 2-core machine under TCG; the slack is for a busy machine."""


@pytest.fixture(scope="module")
def guest(linux_guests: MakeLinuxGuest) -> LinuxGuest:
    return linux_guests("harness", disks=("qcow2",), nics=2)


@pytest.fixture(scope="module")
def conn(libvirtd: str) -> Iterator[libvirt.virConnect]:
    c = libvirt.open(libvirtd)
    yield c
    c.close()


def test_the_guest_boots_to_a_shell_within_budget(guest: LinuxGuest) -> None:
    assert guest.boot_seconds is not None
    assert guest.boot_seconds < BOOT_BUDGET_S
    assert "6." in guest.shell.run("uname -r")


def test_each_nic_has_the_address_the_harness_chose(guest: LinuxGuest) -> None:
    for nic in guest.nics:
        # One ping over each tap: the host side answers from the address the harness gave it.
        out = guest.shell.run(f"ping -c 1 -W 5 {nic.host_ip}")
        assert "1 packets received" in out


def test_the_guest_agent_answers(guest: LinuxGuest) -> None:
    addresses = guest.dom.interfaceAddresses(libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT)
    by_mac = {i["hwaddr"]: [a["addr"] for a in i["addrs"] or []] for i in addresses.values()}
    for nic in guest.nics:
        assert nic.guest_ip in by_mac[nic.mac]
    info = guest.dom.guestInfo(libvirt.VIR_DOMAIN_GUEST_INFO_HOSTNAME, 0)
    assert info["hostname"] == guest.name[-20:]


def test_disks_are_the_images_the_harness_made(guest: LinuxGuest) -> None:
    out = guest.shell.run("cat /sys/block/vda/size")
    assert int(out) * 512 == 64 * 1024 * 1024


def test_the_power_button_powers_the_guest_off_and_remove_leaves_nothing(
    linux_guests: MakeLinuxGuest, conn: libvirt.virConnect
) -> None:
    guest = linux_guests("acpi", disks=("raw",), nics=1)
    stopped = threading.Event()

    def on_lifecycle(
        _c: libvirt.virConnect, d: libvirt.virDomain, event: int, _detail: int, _o: object
    ) -> None:
        if d.name() == guest.name and event == libvirt.VIR_DOMAIN_EVENT_STOPPED:
            stopped.set()

    # The process's one libvirt event loop: the lifecycle event says when the guest stopped.
    ensure_event_loop()
    events_conn = libvirt.open(conn.getURI())
    callback = events_conn.domainEventRegisterAny(
        events_conn.lookupByName(guest.name),
        libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
        on_lifecycle,
        None,
    )
    try:
        started = time.monotonic()
        guest.dom.shutdownFlags(libvirt.VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN)
        assert stopped.wait(30), "the guest did not power off on the ACPI power button"
        assert time.monotonic() - started < 15
    finally:
        events_conn.domainEventDeregisterAny(callback)
        events_conn.close()
    taps, directory = [n.tap for n in guest.nics], guest.directory
    guest.remove()
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True)
    assert not any(tap in links.stdout for tap in taps)
    assert not directory.exists()
    with pytest.raises(libvirt.libvirtError):
        conn.lookupByName(guest.name)


def test_the_image_is_cached_between_runs(guest_boot_image: GuestBoot) -> None:
    """Keyed by the package versions and the recipe: asking again rebuilds nothing."""
    before = guest_boot_image.initrd.stat().st_mtime_ns
    again = guest_boot()
    assert again.initrd == guest_boot_image.initrd
    assert again.initrd.stat().st_mtime_ns == before
