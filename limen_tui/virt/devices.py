"""Device changes on a VM in libvirt: attach or detach a disk or a NIC, change a CD-ROM's
medium, set the boot order. Blocking: run in the host's workers.

A running VM is changed live and in its persistent config together (AFFECT_LIVE|CONFIG), and
the change is confirmed by the device's own event (device added/removed, tray moved); when the
driver refuses the live change, only the persistent config changes ("applies at next boot"),
with libvirt's reason. A shut off VM's change is a new definition of its persistent XML,
confirmed by the "defined" event (libvirt sends no event for a config-only device change).
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import libvirt

from limen_tui.model.device_change import DeviceChange, Expect
from limen_tui.model.device_change import DeviceRefused as DeviceRefused
from limen_tui.model.device_list import DeviceList, parse_device_list
from limen_tui.model.device_params import (
    AttachDisk,
    AttachNic,
    ChangeMedia,
    DetachDisk,
    DetachNic,
    NewVolume,
    SetBootOrder,
)
from limen_tui.virt.connection import describe_error
from limen_tui.virt.media_tray import change_medium

LIVE = libvirt.VIR_DOMAIN_AFFECT_LIVE
CONFIG = libvirt.VIR_DOMAIN_AFFECT_CONFIG
INACTIVE = libvirt.VIR_DOMAIN_XML_INACTIVE

NOT_LIVE_CODES = frozenset(
    {
        libvirt.VIR_ERR_NO_SUPPORT,
        libvirt.VIR_ERR_OPERATION_UNSUPPORTED,
        libvirt.VIR_ERR_CONFIG_UNSUPPORTED,
        libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED,
        libvirt.VIR_ERR_OPERATION_INVALID,
        libvirt.VIR_ERR_INTERNAL_ERROR,  # QEMU's refusal of an IDE hotplug comes as this
    }
)
"""libvirt's ways of saying "not on a running VM": the persistent config still can change.
Any other error (a missing file, an unknown network) changes nothing at all."""

DEFINED = Expect("lifecycle", "defined")
NEXT_BOOT = "applies at next boot"


def _devices(dom: libvirt.virDomain, flags: int = 0) -> DeviceList:
    return parse_device_list(dom.XMLDesc(flags))


def _alias(kind: str) -> str:
    """A user alias (libvirt keeps `ua-` aliases): the device's events name it."""
    return f"ua-limen-{kind}-{secrets.token_hex(3)}"


def _define_with(dom: libvirt.virDomain, edit: Callable[[ET.Element], None]) -> None:
    """DeviceChange the persistent definition with `edit(root)` and define it again."""
    root = ET.fromstring(dom.XMLDesc(INACTIVE | libvirt.VIR_DOMAIN_XML_SECURE))
    edit(root)
    dom.connect().defineXMLFlags(
        ET.tostring(root, encoding="unicode"), libvirt.VIR_DOMAIN_DEFINE_VALIDATE
    )


def _devices_el(root: ET.Element) -> ET.Element:
    found = root.find("devices")
    return found if found is not None else ET.SubElement(root, "devices")


def _saved(what: str, dom: libvirt.virDomain, why: str = "") -> str:
    if not dom.isActive():
        return f"{what} in the persistent config"
    note = f"{what} in the persistent config; {NEXT_BOOT}"
    return f"{note} (not live: {why})" if why else note


def _is_local(conn: libvirt.virConnect) -> bool:
    return not urlparse(conn.getURI()).hostname


def _source_format(conn: libvirt.virConnect, path: str, *, must_exist: bool) -> str:
    """The image format of a file on the host ("" unknown); DeviceRefused when it is missing."""
    try:
        vol = conn.storageVolLookupByPath(path)
    except libvirt.libvirtError:
        vol = None
    if vol is not None:
        fmt = ET.fromstring(vol.XMLDesc(0)).find("./target/format")
        return fmt.get("type", "") if fmt is not None else ""
    if must_exist and _is_local(conn) and not Path(path).exists():
        raise DeviceRefused(f"there is no file {path} on this host; nothing was changed")
    if must_exist and _is_local(conn) and Path(path).is_dir():
        raise DeviceRefused(f"{path} is a folder, not a disk image; nothing was changed")
    return "qcow2" if path.endswith(".qcow2") else "raw"


def create_volume(conn: libvirt.virConnect, new: NewVolume) -> libvirt.virStorageVol:
    """A new volume in a pool (storageVolCreateXML); the pool must be running."""
    try:
        pool = conn.storagePoolLookupByName(new.pool)
    except libvirt.libvirtError as exc:
        raise DeviceRefused(f"no storage pool {new.pool}: {describe_error(exc)}") from exc
    if not pool.isActive():
        raise DeviceRefused(f"storage pool {new.pool} is not running; start it first")
    vol = ET.Element("volume")
    ET.SubElement(vol, "name").text = new.name
    ET.SubElement(vol, "capacity", unit="bytes").text = str(new.capacity_bytes)
    if new.format == "qcow2":
        ET.SubElement(vol, "allocation", unit="bytes").text = "0"
    target = ET.SubElement(vol, "target")
    ET.SubElement(target, "format", type=new.format)
    return pool.createXML(ET.tostring(vol, encoding="unicode"), 0)


def _disk_xml(p: AttachDisk, path: str, fmt: str, alias: str) -> ET.Element:
    kind = "block" if path.startswith("/dev/") else "file"
    disk = ET.Element("disk", type=kind, device="cdrom" if p.cdrom else "disk")
    ET.SubElement(disk, "driver", name="qemu", type=fmt or "raw")
    if path:
        ET.SubElement(disk, "source", {"dev" if kind == "block" else "file": path})
    ET.SubElement(disk, "target", dev=p.target, bus=p.bus)
    if p.cdrom:
        ET.SubElement(disk, "readonly")
    ET.SubElement(disk, "alias", name=alias)
    return disk


def _add(dom: libvirt.virDomain, device: ET.Element, what: str, alias: str) -> DeviceChange:
    """Attach live and persistently, else (live refused, or a shut off VM) persistently."""
    xml = ET.tostring(device, encoding="unicode")
    why = ""
    if dom.isActive():
        persistent = bool(dom.isPersistent())
        try:
            dom.attachDeviceFlags(xml, LIVE | (CONFIG if persistent else 0))
        except libvirt.libvirtError as exc:
            if not persistent or exc.get_error_code() not in NOT_LIVE_CODES:
                raise
            why = describe_error(exc)
        else:
            where = "now and in the persistent config" if persistent else "now (transient VM)"
            return DeviceChange(
                f"{what} attached {where}",
                Expect("device", "device added", alias),
                unconfirmed="libvirt did not say the guest has it",
            )
    _define_with(dom, lambda root: _devices_el(root).append(device))
    return DeviceChange(_saved(f"{what} added", dom, why), DEFINED)


def attach_disk(dom: libvirt.virDomain, p: AttachDisk) -> DeviceChange:
    conn = dom.connect()
    if parse_device_list(dom.XMLDesc(INACTIVE)).disk(p.target) is not None:
        raise DeviceRefused(f"{p.target} is already used by this VM; choose another name")
    created: libvirt.virStorageVol | None = None
    path, fmt = p.path, p.format
    if p.new_volume is not None:
        created = create_volume(conn, p.new_volume)
        path, fmt = created.path(), p.new_volume.format
    elif path:
        fmt = fmt or _source_format(conn, path, must_exist=True)
    elif not p.cdrom:
        raise DeviceRefused("a disk needs a file, a volume or a new volume")
    what = f"{p.target} ({path or 'empty CD-ROM'})"
    alias = _alias("disk")
    try:
        return _add(dom, _disk_xml(p, path, fmt, alias), what, alias)
    except BaseException:
        if created is not None:  # the new volume goes with the failed attach
            created.delete(0)
        raise


def _remove(
    dom: libvirt.virDomain,
    live_xml: str | None,
    alias: str,
    in_config: bool,
    drop: Callable[[ET.Element], None],
    what: str,
) -> DeviceChange:
    """Detach live (and persistently) when the live VM has it, else persistently."""
    why = ""
    if live_xml is not None:
        try:
            dom.detachDeviceFlags(live_xml, LIVE | (CONFIG if in_config else 0))
        except libvirt.libvirtError as exc:
            if not in_config or exc.get_error_code() not in NOT_LIVE_CODES:
                raise
            why = describe_error(exc)
        else:
            also = " and from the persistent config" if in_config else ""
            return DeviceChange(
                f"{what} detached{also}",
                Expect("device", "device removed", alias),
                refuted_by=Expect("device", "device removal failed", alias),
                unconfirmed="the guest has not released it (a guest without hot-unplug keeps "
                "it until it stops)" + ("; the persistent config no longer has it" if also else ""),
            )
    _define_with(dom, drop)
    note = _saved(f"{what} removed", dom, why)
    if dom.isActive():
        note += "; the running VM keeps it until it stops"
    return DeviceChange(note, DEFINED)


def _portable(el: ET.Element) -> ET.Element:
    """A live device's XML as libvirt takes it back: runtime parts (libvirt's own aliases, the
    backing chain) dropped, a user alias (`ua-`) and the address kept."""
    for child in list(el):
        alias = child.tag == "alias" and not child.get("name", "").startswith("ua-")
        if alias or child.tag == "backingStore":
            el.remove(child)
    return el


def _element(dom: libvirt.virDomain, tag: str, match: Callable[[ET.Element], bool]) -> str | None:
    root = ET.fromstring(dom.XMLDesc(0))
    found = next((el for el in root.findall(f"./devices/{tag}") if match(el)), None)
    return ET.tostring(_portable(found), encoding="unicode") if found is not None else None


def _drop(tag: str, match: Callable[[ET.Element], bool]) -> Callable[[ET.Element], None]:
    def drop(root: ET.Element) -> None:
        devices = _devices_el(root)
        for el in devices.findall(tag):
            if match(el):
                devices.remove(el)

    return drop


def _disk_is(target: str) -> Callable[[ET.Element], bool]:
    def match(el: ET.Element) -> bool:
        found = el.find("target")
        return found is not None and found.get("dev") == target

    return match


def _nic_is(mac: str) -> Callable[[ET.Element], bool]:
    def match(el: ET.Element) -> bool:
        found = el.find("mac")
        return found is not None and found.get("address", "").lower() == mac.lower()

    return match


def detach_disk(dom: libvirt.virDomain, p: DetachDisk) -> DeviceChange:
    live = _devices(dom).disk(p.target) if dom.isActive() else None
    config = _devices(dom, INACTIVE).disk(p.target) if dom.isPersistent() else None
    if live is None and config is None:
        raise DeviceRefused(f"this VM has no disk {p.target}")
    live_xml = _element(dom, "disk", _disk_is(p.target)) if live is not None else None
    alias = live.alias if live is not None else ""
    return _remove(
        dom, live_xml, alias, config is not None, _drop("disk", _disk_is(p.target)), p.target
    )


def attach_nic(dom: libvirt.virDomain, p: AttachNic) -> DeviceChange:
    if p.kind != "user" and not p.source:
        raise DeviceRefused(f"a {p.kind} NIC needs the {p.kind}'s name")
    alias = _alias("nic")
    nic = ET.Element("interface", type=p.kind)
    if p.mac:
        ET.SubElement(nic, "mac", address=p.mac.lower())
    if p.kind != "user":
        ET.SubElement(nic, "source", {p.kind: p.source})
    ET.SubElement(nic, "model", type=p.model or "virtio")
    ET.SubElement(nic, "alias", name=alias)
    via = f"{p.kind} {p.source}" if p.source else p.kind
    what = f"NIC {p.mac} ({via})" if p.mac else f"a NIC ({via})"
    return _add(dom, nic, what, alias)


def detach_nic(dom: libvirt.virDomain, p: DetachNic) -> DeviceChange:
    live = _devices(dom).nic(p.mac) if dom.isActive() else None
    config = _devices(dom, INACTIVE).nic(p.mac) if dom.isPersistent() else None
    if live is None and config is None:
        raise DeviceRefused(f"this VM has no NIC with MAC {p.mac}")
    live_xml = _element(dom, "interface", _nic_is(p.mac)) if live is not None else None
    alias = live.alias if live is not None else ""
    return _remove(
        dom,
        live_xml,
        alias,
        config is not None,
        _drop("interface", _nic_is(p.mac)),
        f"NIC {p.mac}",
    )


def _with_medium(disk_xml: str, path: str) -> ET.Element:
    disk = _portable(ET.fromstring(disk_xml))
    for old in disk.findall("source"):
        disk.remove(old)
    if path:
        disk.set("type", "file")
        source = ET.Element("source", file=path)
        disk.insert(1 if disk.find("driver") is not None else 0, source)
    return disk


def change_media(dom: libvirt.virDomain, p: ChangeMedia) -> DeviceChange:
    """Insert an ISO into a CD-ROM (or eject it: `path` ""), live where the VM runs."""
    active = bool(dom.isActive())
    devices = _devices(dom) if active else _devices(dom, INACTIVE)
    disk = devices.disk(p.target)
    if disk is None:
        raise DeviceRefused(f"this VM has no drive {p.target}")
    if not disk.removable:
        raise DeviceRefused(f"{p.target} is a {disk.device}, not a CD-ROM: it has no medium")
    if p.path:
        _source_format(dom.connect(), p.path, must_exist=True)
    elif not disk.source:
        return DeviceChange(f"{p.target} is already empty", None)
    what = f"{p.path} in {p.target}" if p.path else f"{p.target} ejected"
    if active:
        current = _element(dom, "disk", _disk_is(p.target))
        assert current is not None
        new = ET.tostring(_with_medium(current, p.path), encoding="unicode")
        persistent = bool(dom.isPersistent())
        in_config = persistent and _devices(dom, INACTIVE).disk(p.target) is not None
        tries = change_medium(dom, new, LIVE | (CONFIG if in_config else 0), p.target)
        also = " (and in the persistent config)" if in_config else ""
        again = f"; the guest closed the tray, made in {tries} tries" if tries > 1 else ""
        return DeviceChange(
            f"{what}{also}{again}",
            Expect("tray", "", disk.alias),
            unconfirmed="QEMU did not report the tray moving",
        )

    def edit(root: ET.Element) -> None:
        devices_el = _devices_el(root)
        for i, el in enumerate(list(devices_el)):
            if el.tag == "disk" and _disk_is(p.target)(el):
                devices_el.remove(el)
                devices_el.insert(i, _with_medium(ET.tostring(el, encoding="unicode"), p.path))

    _define_with(dom, edit)
    return DeviceChange(f"{what} in the persistent config", DEFINED)


def set_boot_order(dom: libvirt.virDomain, p: SetBootOrder) -> DeviceChange:
    """Per-device boot order in the persistent config (it always applies at next boot)."""
    if not p.order:
        raise DeviceRefused("name at least one disk or NIC to boot from")
    config = _devices(dom, INACTIVE)
    unknown = [n for n in p.order if config.disk(n) is None and config.nic(n) is None]
    if unknown:
        raise DeviceRefused(f"this VM has no disk or NIC {', '.join(unknown)}")
    if len(set(n.lower() for n in p.order)) != len(p.order):
        raise DeviceRefused("a device is named twice in the boot order")
    if config.boot_order == list(p.order) and not config.os_boot:
        return DeviceChange("the boot order is already " + ", ".join(p.order), None)
    rank = {n.lower(): i + 1 for i, n in enumerate(p.order)}

    def edit(root: ET.Element) -> None:
        os_el = root.find("os")
        if os_el is not None:
            for boot in os_el.findall("boot"):
                os_el.remove(boot)
        for el in [*root.findall("./devices/disk"), *root.findall("./devices/interface")]:
            for boot in el.findall("boot"):
                el.remove(boot)
            target, mac = el.find("target"), el.find("mac")
            name = target.get("dev", "") if el.tag == "disk" and target is not None else ""
            if el.tag == "interface" and mac is not None:
                name = mac.get("address", "")
            if name.lower() in rank:
                ET.SubElement(el, "boot", order=str(rank[name.lower()]))

    _define_with(dom, edit)
    order = ", ".join(p.order)
    return DeviceChange(
        f"boot order {order}" + (f"; {NEXT_BOOT}" if dom.isActive() else ""), DEFINED
    )
