"""A VM's disks and NICs as the device dialog lists them, from its domain XML. Pure parsing,
plus the checks of what the operator types there (a size, a device name, a MAC)."""

from __future__ import annotations

import re
import string
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from limen_tui.model.device_params import DiskBus


@dataclass(frozen=True, slots=True)
class Disk:
    target: str
    device: str
    """disk, cdrom or floppy."""
    bus: str
    source: str
    """The file, block device or pool/volume; "" for an empty CD-ROM."""
    format: str
    alias: str
    boot: int | None
    tray_open: bool = False
    """libvirt's record of a CD-ROM's tray (the live XML's tray='open')."""

    @property
    def removable(self) -> bool:
        return self.device in ("cdrom", "floppy")


@dataclass(frozen=True, slots=True)
class Nic:
    mac: str
    kind: str
    source: str
    model: str
    alias: str
    boot: int | None


@dataclass(frozen=True, slots=True)
class DeviceList:
    disks: tuple[Disk, ...] = ()
    nics: tuple[Nic, ...] = ()
    os_boot: tuple[str, ...] = ()
    """<os><boot dev=...> entries (hd, cdrom, network), used when no device has an order."""

    def disk(self, target: str) -> Disk | None:
        return next((d for d in self.disks if d.target == target), None)

    def nic(self, mac: str) -> Nic | None:
        return next((n for n in self.nics if n.mac.lower() == mac.lower()), None)

    @property
    def boot_order(self) -> list[str]:
        """Disk targets and NIC MACs in per-device boot order."""
        ordered = [(d.boot, d.target) for d in self.disks if d.boot is not None]
        ordered += [(n.boot, n.mac) for n in self.nics if n.boot is not None]
        return [name for _, name in sorted(ordered)]


def _boot(el: ET.Element) -> int | None:
    boot = el.find("boot")
    order = boot.get("order", "") if boot is not None else ""
    return int(order) if order.isdigit() else None


def _attr(el: ET.Element | None, *names: str) -> str:
    if el is None:
        return ""
    return next((el.get(n, "") for n in names if el.get(n)), "")


def parse_device_list(xml: str) -> DeviceList:
    root = ET.fromstring(xml)
    disks = []
    for el in root.findall("./devices/disk"):
        source = el.find("source")
        where = _attr(source, "file", "dev", "name")
        if source is not None and source.get("pool"):
            where = f"{source.get('pool')}/{source.get('volume', '')}"
        disks.append(
            Disk(
                target=_attr(el.find("target"), "dev") or "?",
                device=el.get("device", "disk"),
                bus=_attr(el.find("target"), "bus"),
                source=where,
                format=_attr(el.find("driver"), "type"),
                alias=_attr(el.find("alias"), "name"),
                boot=_boot(el),
                tray_open=_attr(el.find("target"), "tray") == "open",
            )
        )
    nics = []
    for el in root.findall("./devices/interface"):
        nics.append(
            Nic(
                mac=_attr(el.find("mac"), "address"),
                kind=el.get("type", "?"),
                source=_attr(el.find("source"), "network", "bridge", "dev"),
                model=_attr(el.find("model"), "type"),
                alias=_attr(el.find("alias"), "name"),
                boot=_boot(el),
            )
        )
    os_boot = tuple(b.get("dev", "") for b in root.findall("./os/boot"))
    return DeviceList(tuple(disks), tuple(nics), os_boot)


PREFIX: dict[str, str] = {"virtio": "vd", "sata": "sd", "scsi": "sd", "usb": "sd", "ide": "hd"}


def next_target(devices: DeviceList, bus: DiskBus) -> str:
    """The first free device name on `bus` (vdb after vda)."""
    taken = {d.target for d in devices.disks}
    prefix = PREFIX[bus]
    for letter in string.ascii_lowercase:
        if prefix + letter not in taken:
            return prefix + letter
    return prefix + "aa"


_UNITS = {"": 1024**3, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
MIN_VOLUME = 1024**2
MAX_VOLUME = 64 * 1024**4


def parse_size(text: str) -> int:
    """`10G`, `512M`, `1.5T`, `20` (GiB) in bytes; ValueError with a sentence when it is not."""
    found = _SIZE.match(text)
    if not found:
        raise ValueError(f"{text.strip() or 'an empty size'!r} is not a size; write 10G or 512M")
    size = int(float(found.group(1)) * _UNITS[found.group(2).lower()])
    if size < MIN_VOLUME:
        raise ValueError("a volume must be at least 1M")
    if size > MAX_VOLUME:
        raise ValueError("a volume cannot be more than 64T")
    return size


_TARGET = re.compile(r"^(vd|sd|hd|xvd)[a-z]{1,2}$")
_MAC = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$", re.IGNORECASE)


def target_problem(target: str, devices: DeviceList) -> str | None:
    if not _TARGET.match(target):
        return f"{target!r} is not a device name; write vdb, sdb or hdc"
    if devices.disk(target) is not None:
        return f"{target} is already used by this VM"
    return None


def mac_problem(mac: str, devices: DeviceList) -> str | None:
    if not mac:
        return None
    if not _MAC.match(mac):
        return f"{mac!r} is not a MAC address; write 52:54:00:12:34:56 or leave it empty"
    if int(mac[:2], 16) & 1:
        return f"{mac} is a multicast address; a NIC needs a unicast one (52:54:00:...)"
    if devices.nic(mac) is not None:
        return f"this VM already has a NIC with MAC {mac}"
    return None
