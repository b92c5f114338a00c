"""Storage pools and volumes in libvirt: reading them, and each change as a `ResourceChange`.

Blocking: run in the host's workers. Pool start, stop, refresh and define are confirmed by
libvirt's pool events; volume changes and autostart have no event in libvirt, so each is
confirmed by reading the volume (or the flag) back after the call.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import libvirt

from limen_tui.model.action_params import (
    CloneVolume,
    CreateVolume,
    DefinePool,
    OnPool,
    OnVolume,
    PoolAutostart,
    ResizeVolume,
)
from limen_tui.model.storage import Pool, Volume, human_size
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.changes import Confirm, Refused, ResourceChange
from limen_tui.virt.domain_uses import domain_uses
from limen_tui.virt.host_info import POOL_STATES


def read_pools(conn: libvirt.virConnect, calls: CallCounter) -> list[Pool]:
    calls.record("listAllStoragePools")
    out = []
    for pool in conn.listAllStoragePools(0):
        calls.record("storagePoolInfo")
        state, capacity, allocation, available = pool.info()
        calls.record("storagePoolXMLDesc")
        root = ET.fromstring(pool.XMLDesc(0))
        out.append(
            Pool(
                pool.name(),
                POOL_STATES.get(state, str(state)),
                capacity,
                allocation,
                available,
                bool(pool.autostart()),
                bool(pool.isPersistent()),
                root.get("type", ""),
                root.findtext("target/path") or "",
            )
        )
    return sorted(out, key=lambda p: p.name)


def _volume_format(vol: libvirt.virStorageVol) -> str:
    fmt = ET.fromstring(vol.XMLDesc(0)).find("target/format")
    return fmt.get("type", "") if fmt is not None else ""


def read_volumes(conn: libvirt.virConnect, pool_name: str, calls: CallCounter) -> list[Volume]:
    """The pool's volumes, each with the VMs whose disks use it (from every domain's XML)."""
    calls.record("storagePoolLookupByName")
    pool = conn.storagePoolLookupByName(pool_name)
    uses = domain_uses(conn, calls)
    calls.record("listAllVolumes")
    out = []
    for vol in pool.listAllVolumes(0):
        calls.record("storageVolGetInfo")
        _kind, capacity, allocation = vol.info()
        path = vol.path()
        out.append(
            Volume(
                vol.name(),
                path,
                _volume_format(vol),
                capacity,
                allocation,
                uses.users(pool_name, vol.name(), path),
            )
        )
    return sorted(out, key=lambda v: v.name)


def _users(conn: libvirt.virConnect, pool: str, vol: libvirt.virStorageVol) -> tuple[str, ...]:
    return domain_uses(conn, CallCounter()).users(pool, vol.name(), vol.path())


def _volume(conn: libvirt.virConnect, pool: str, name: str) -> libvirt.virStorageVol:
    return conn.storagePoolLookupByName(pool).storageVolLookupByName(name)


def _gone(conn: libvirt.virConnect, pool: str, name: str) -> bool:
    try:
        _volume(conn, pool, name)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() == libvirt.VIR_ERR_NO_STORAGE_VOL:
            return True
        raise
    return False


def volume_xml(name: str, fmt: str, capacity: int) -> str:
    root = ET.Element("volume")
    ET.SubElement(root, "name").text = name
    ET.SubElement(root, "capacity", unit="bytes").text = str(capacity)
    ET.SubElement(root, "allocation", unit="bytes").text = "0"
    target = ET.SubElement(root, "target")
    ET.SubElement(target, "format", type=fmt)
    return ET.tostring(root, encoding="unicode")


def dir_pool_xml(name: str, path: str) -> str:
    root = ET.Element("pool", type="dir")
    ET.SubElement(root, "name").text = name
    target = ET.SubElement(root, "target")
    ET.SubElement(target, "path").text = path
    return ET.tostring(root, encoding="unicode")


# -- pools --------------------------------------------------------------------------------


def pool_start(p: OnPool) -> ResourceChange:
    return ResourceChange(
        lambda conn: (conn.storagePoolLookupByName(p.pool).create(0), "start sent")[1],
        Confirm("pool", p.pool, "started"),
    )


def pool_stop(p: OnPool) -> ResourceChange:
    return ResourceChange(
        lambda conn: (conn.storagePoolLookupByName(p.pool).destroy(), "stop sent")[1],
        Confirm("pool", p.pool, "stopped"),
    )


def pool_refresh(p: OnPool) -> ResourceChange:
    return ResourceChange(
        lambda conn: (conn.storagePoolLookupByName(p.pool).refresh(0), "refresh sent")[1],
        Confirm("pool", p.pool, "refreshed"),
    )


def pool_autostart(p: PoolAutostart) -> ResourceChange:
    def call(conn: libvirt.virConnect) -> str:
        conn.storagePoolLookupByName(p.pool).setAutostart(int(p.enabled))
        return f"autostart {'on' if p.enabled else 'off'}"

    def read_back(conn: libvirt.virConnect) -> str:
        now = bool(conn.storagePoolLookupByName(p.pool).autostart())
        if now != p.enabled:
            raise RuntimeError(f"libvirt still says autostart {'on' if now else 'off'}")
        return f"read back: autostart {'on' if now else 'off'}"

    return ResourceChange(call, read_back=read_back)


def pool_define(p: DefinePool) -> ResourceChange:
    def call(conn: libvirt.virConnect) -> str:
        pool = conn.storagePoolDefineXML(dir_pool_xml(p.pool, p.path), 0)
        try:
            pool.build(0)  # makes the directory
        except libvirt.libvirtError:
            pool.undefine()  # a transaction: no half-made pool stays behind
            raise
        return f"defined at {p.path}"

    return ResourceChange(call, Confirm("pool", p.pool, "defined"))


# -- volumes ------------------------------------------------------------------------------


def volume_create(p: CreateVolume) -> ResourceChange:
    def call(conn: libvirt.virConnect) -> str:
        pool = conn.storagePoolLookupByName(p.pool)
        pool.createXML(volume_xml(p.name, p.format, p.capacity), 0)
        return f"created {p.format} of {human_size(p.capacity)}"

    def read_back(conn: libvirt.virConnect) -> str:
        vol = _volume(conn, p.pool, p.name)
        capacity, fmt = vol.info()[1], _volume_format(vol)
        if capacity < p.capacity or fmt != p.format:
            raise RuntimeError(f"libvirt shows {fmt} of {human_size(capacity)}")
        return f"read back: {fmt}, {human_size(capacity)}"

    return ResourceChange(call, read_back=read_back)


def volume_resize(p: ResizeVolume) -> ResourceChange:
    def call(conn: libvirt.virConnect) -> str:
        vol = _volume(conn, p.pool, p.name)
        now = vol.info()[1]
        if p.capacity < now:
            raise Refused(
                f"{p.name} is {human_size(now)}; shrinking to {human_size(p.capacity)} would "
                "cut off data, so nothing was changed"
            )
        vol.resize(p.capacity, 0)
        return f"resized from {human_size(now)} to {human_size(p.capacity)}"

    def read_back(conn: libvirt.virConnect) -> str:
        capacity = _volume(conn, p.pool, p.name).info()[1]
        if capacity < p.capacity:
            raise RuntimeError(f"libvirt still shows {human_size(capacity)}")
        return f"read back: {human_size(capacity)}"

    return ResourceChange(call, read_back=read_back)


def volume_clone(p: CloneVolume) -> ResourceChange:
    def call(conn: libvirt.virConnect) -> str:
        pool = conn.storagePoolLookupByName(p.pool)
        vol = pool.storageVolLookupByName(p.name)
        fmt = _volume_format(vol) or "raw"
        pool.createXMLFrom(volume_xml(p.new_name, fmt, vol.info()[1]), vol, 0)
        return f"cloned {p.name} as {p.new_name}"

    def read_back(conn: libvirt.virConnect) -> str:
        capacity = _volume(conn, p.pool, p.new_name).info()[1]
        return f"read back: {p.new_name}, {human_size(capacity)}"

    return ResourceChange(call, read_back=read_back)


def _refuse_if_used(conn: libvirt.virConnect, p: OnVolume, verb: str) -> libvirt.virStorageVol:
    vol = _volume(conn, p.pool, p.name)
    users = _users(conn, p.pool, vol)
    if users:
        raise Refused(
            f"{p.name} is used by VM {', '.join(users)}; detach it (or delete the VM) "
            f"before you {verb} it"
        )
    return vol


def volume_wipe(p: OnVolume) -> ResourceChange:
    def call(conn: libvirt.virConnect) -> str:
        _refuse_if_used(conn, p, "wipe").wipe(0)
        return "wiped (zeros written)"

    def read_back(conn: libvirt.virConnect) -> str:
        allocation = _volume(conn, p.pool, p.name).info()[2]
        return f"read back: still there, {human_size(allocation)} allocated"

    return ResourceChange(call, read_back=read_back)


def volume_delete(p: OnVolume) -> ResourceChange:
    def call(conn: libvirt.virConnect) -> str:
        _refuse_if_used(conn, p, "delete").delete(0)
        return "deleted"

    def read_back(conn: libvirt.virConnect) -> str:
        if not _gone(conn, p.pool, p.name):
            raise RuntimeError(f"libvirt still lists {p.name}")
        return "read back: gone from the pool"

    return ResourceChange(call, read_back=read_back)
