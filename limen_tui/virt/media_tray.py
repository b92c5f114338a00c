"""A CD-ROM's medium changed live while the guest moves the tray. Blocking: run in the host's
workers.

libvirt opens the tray, removes the medium, inserts the new one and closes the tray; a guest
can shut the tray between those steps. When QEMU reports that, libvirt's record follows and the
change is made again; when it does not (an IDE drive reset, as SeaBIOS makes at boot), libvirt's
record keeps the tray open, every try would fail alike, and the error says why.
"""

from __future__ import annotations

import time

import libvirt

from limen_tui.model.device_change import DeviceRefused
from limen_tui.model.device_list import parse_device_list
from limen_tui.virt.connection import describe_error

TRAY_TRIES = 3
"""How often a medium change is made when the guest closed the tray between libvirt's steps."""
TRAY_PAUSE_S = 0.3
"""Deliberate: a short, bounded pause before the next try lets the guest's tray move settle."""


def _tray_got_in_the_way(exc: libvirt.libvirtError) -> bool:
    """libvirt opened the tray and the guest shut it before the medium moved.

    QEMU says "Tray of device ... is not open" when the guest closed it after libvirt saw it
    open (a Linux guest closes it as its drive is opened, udev opens it on every media change);
    libvirt says "timed out waiting to open tray" after 5 s when it was shut again before
    libvirt looked, or when the guest holds the drive locked.
    """
    msg = exc.get_error_message() or ""
    return ("Tray of" in msg and "is not open" in msg) or "timed out waiting to open tray" in msg


def _stale_tray(target: str, exc: libvirt.libvirtError) -> DeviceRefused:
    return DeviceRefused(
        f"libvirt's record of the tray of {target} is out of date: it has it open, QEMU has it "
        f"shut (the guest reset the drive, as SeaBIOS does at boot, and QEMU reported no tray "
        f"move), so libvirt cannot change the medium; nothing was changed. libvirt's record is "
        f"right again once the tray moves (eject it in the guest) or after the VM's next reset "
        f"or restart. QEMU said: {describe_error(exc)}"
    )


def change_medium(dom: libvirt.virDomain, xml: str, flags: int, target: str) -> int:
    """The live change, made again while the guest keeps closing the tray; returns the tries.

    Each try is whole: libvirt opens the tray again if its record says closed, and a medium it
    did not insert stays in its XML as it was. When its record still says open, another try
    would fail the same way: the error says why. Three tries take at most about 16 s
    (libvirt's 5 s wait each), inside the 30 s an action has by default.
    """
    attempt = 1
    while True:
        try:
            dom.updateDeviceFlags(xml, flags)
            return attempt
        except libvirt.libvirtError as exc:
            if not _tray_got_in_the_way(exc):
                raise
            disk = parse_device_list(dom.XMLDesc(0)).disk(target)
            if disk is not None and disk.tray_open and "is not open" in str(exc):
                raise _stale_tray(target, exc) from exc
            if attempt == TRAY_TRIES:
                raise DeviceRefused(
                    f"the guest kept the tray of {target} closed ({TRAY_TRIES} tries): it shut "
                    f"it each time libvirt opened it, or it holds the drive locked; libvirt "
                    f"said: {describe_error(exc)}"
                ) from exc
        time.sleep(TRAY_PAUSE_S * attempt)
        attempt += 1
