"""Clone a shut-off VM: copy its disks, define the copy. Blocking: call from a worker.

Steps: ``copy disk <dev>`` for each writable disk (into a new volume in the
same pool, via ``virStoragePoolCreateXMLFrom``), then ``define domain``. A
failure rolls back the copies already made. CD-ROMs, floppies and read-only or
shareable disks are shared with the source, not copied.

The copy gets a new name, a UUID and MACs that libvirt generates, and a fresh
NVRAM (the path is dropped, so libvirt makes one from the template). Fixed VNC
ports or tap device names, if the source has any, are kept as they are.
"""

from __future__ import annotations

import functools
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

import libvirt

from limen_tui.model.vm_spec import check_name
from limen_tui.virt.connection import describe_error
from limen_tui.virt.provision import DiskSource, volume_xml
from limen_tui.virt.transaction import (
    ProvisionError,
    Transaction,
    delete_volume,
    refuse,
    undefine_domain,
)
from limen_tui.virt.vmspec import check_name_free

STEP_DEFINE = "define domain"

_STATES = {
    libvirt.VIR_DOMAIN_RUNNING: "running",
    libvirt.VIR_DOMAIN_BLOCKED: "running",
    libvirt.VIR_DOMAIN_PAUSED: "paused",
    libvirt.VIR_DOMAIN_SHUTDOWN: "shutting down",
    libvirt.VIR_DOMAIN_CRASHED: "crashed",
    libvirt.VIR_DOMAIN_PMSUSPENDED: "suspended",
}

__all__ = ["CloneResult", "ProvisionError", "clone_domain_xml", "clone_vm", "copy_step"]


def copy_step(target_dev: str) -> str:
    """The step name for copying the disk at ``target_dev`` (``vda``)."""
    return f"copy disk {target_dev}"


@dataclass(frozen=True)
class CloneResult:
    name: str
    uuid: str
    source_name: str
    volume_paths: dict[str, str]
    """Target device (``vda``) -> path of the new volume."""
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class _DiskPlan:
    target: str
    source_vol: libvirt.virStorageVol
    pool: libvirt.virStoragePool
    pool_name: str
    new_volume: str
    capacity: int
    fmt: str


def clone_domain_xml(xml: str, new_name: str, sources: dict[str, DiskSource]) -> str:
    """The source's inactive XML rewritten for its clone.

    New name; no UUID and no MACs (libvirt generates both at define); no NVRAM
    path; each disk whose target is in ``sources`` points at its new volume.
    """
    root = ET.fromstring(xml)
    name = root.find("name")
    if name is None:
        name = ET.SubElement(root, "name")
    name.text = new_name
    _drop(root, "uuid")
    # libvirt refuses a <sysinfo> UUID that differs from the domain's.
    for system in root.findall("./sysinfo/system"):
        _drop(system, "entry[@name='uuid']")
    for iface in root.findall("./devices/interface"):
        _drop(iface, "mac")
    for nvram in root.findall("./os/nvram"):
        nvram.text = None
        if not nvram.attrib:
            _drop(root.find("os"), "nvram")
    for disk in root.findall("./devices/disk"):
        target = disk.find("target")
        dev = target.get("dev") if target is not None else None
        if dev is None or dev not in sources:
            continue
        new = sources[dev]
        disk.set("type", new.type)
        source = disk.find("source")
        if source is None:
            source = ET.SubElement(disk, "source")
        for attr in ("file", "dev", "pool", "volume"):
            source.attrib.pop(attr, None)
        source.attrib.update(new.attrs)
        # The copy is flattened: qemu-img convert reads the whole chain.
        _drop(disk, "backingStore")
    return ET.tostring(root, encoding="unicode")


def _drop(parent: ET.Element | None, path: str) -> None:
    if parent is None:
        return
    for child in parent.findall(path):
        parent.remove(child)


def _lookup_source(conn: libvirt.virConnect, disk: ET.Element) -> libvirt.virStorageVol | None:
    """The volume behind ``disk``, ``None`` if in no pool; ValueError if it cannot be copied."""
    source = disk.find("source")
    kind = disk.get("type", "file")
    try:
        if kind == "volume" and source is not None:
            pool = conn.storagePoolLookupByName(source.get("pool", ""))
            return pool.storageVolLookupByName(source.get("volume", ""))
        path = None if source is None else source.get("file" if kind == "file" else "dev")
        if kind not in ("file", "block") or not path:
            raise ValueError(f"a {kind} disk cannot be copied")
        return conn.storageVolLookupByPath(path)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() in (
            libvirt.VIR_ERR_NO_STORAGE_VOL,
            libvirt.VIR_ERR_NO_STORAGE_POOL,
        ):
            return None
        raise


def _new_volume_name(
    old: str, source_name: str, new_name: str, target: str, taken: Callable[[str], bool]
) -> str | None:
    ext = os.path.splitext(old)[1]
    candidates = [f"{new_name}-{target}{ext}"]
    if old.startswith(source_name):
        candidates.insert(0, new_name + old[len(source_name) :])
    return next((c for c in candidates if not taken(c)), None)


def _plan_disks(
    conn: libvirt.virConnect, root: ET.Element, source_name: str, new_name: str
) -> tuple[list[_DiskPlan], list[str]]:
    plans: list[_DiskPlan] = []
    errors: list[str] = []
    for disk in root.findall("./devices/disk"):
        target = disk.find("target")
        dev = target.get("dev", "?") if target is not None else "?"
        shared = disk.find("readonly") is not None or disk.find("shareable") is not None
        if disk.get("device", "disk") != "disk" or shared:
            continue
        try:
            vol = _lookup_source(conn, disk)
        except ValueError as exc:
            errors.append(f"Disk {dev}: {exc}.")
            continue
        if vol is None:
            errors.append(f"Disk {dev}: its image is in no storage pool, so it cannot be copied.")
            continue
        pool = vol.storagePoolLookupByVolume()
        pool_name = pool.name()

        def taken(
            name: str, pool: libvirt.virStoragePool = pool, pool_name: str = pool_name
        ) -> bool:
            if any(p.pool_name == pool_name and p.new_volume == name for p in plans):
                return True
            return _volume_exists(pool, name)

        new_volume = _new_volume_name(vol.name(), source_name, new_name, dev, taken)
        if new_volume is None:
            errors.append(f"Disk {dev}: pool '{pool_name}' already has volumes for '{new_name}'.")
            continue
        fmt_el = ET.fromstring(vol.XMLDesc(0)).find("./target/format")
        plans.append(
            _DiskPlan(
                target=dev,
                source_vol=vol,
                pool=pool,
                pool_name=pool_name,
                new_volume=new_volume,
                capacity=int(vol.info()[1]),
                fmt=fmt_el.get("type", "raw") if fmt_el is not None else "raw",
            )
        )
    return plans, errors


def _volume_exists(pool: libvirt.virStoragePool, name: str) -> bool:
    try:
        pool.storageVolLookupByName(name)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() == libvirt.VIR_ERR_NO_STORAGE_VOL:
            return False
        raise
    return True


def _check(
    conn: libvirt.virConnect, source_name: str, new_name: str
) -> tuple[str, list[_DiskPlan]]:
    """The source's inactive XML and the disk copies to make; raises ProvisionError if refused."""
    errors = check_name(new_name, "New name")
    if not errors:
        errors += check_name_free(conn, new_name, "New name")
    try:
        dom = conn.lookupByName(source_name)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:
            raise
        raise refuse(
            "clone", source_name, [*errors, f"Source: there is no VM named '{source_name}'."]
        ) from exc
    state = dom.state()[0]
    if state != libvirt.VIR_DOMAIN_SHUTOFF:
        words = _STATES.get(state, "not shut off")
        errors.append(f"Source: '{source_name}' is {words}; shut it down before cloning it.")
    if errors:
        raise refuse("clone", source_name, errors)
    xml = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE | libvirt.VIR_DOMAIN_XML_SECURE)
    plans, errors = _plan_disks(conn, ET.fromstring(xml), source_name, new_name)
    if errors:
        raise refuse("clone", source_name, errors)
    return xml, plans


def clone_vm(
    conn: libvirt.virConnect, source_name: str, new_name: str, *, fail_at: str | None = None
) -> CloneResult:
    """Clone the shut-off VM ``source_name`` as ``new_name``, or change nothing.

    Raises :class:`ProvisionError` (``vm_name`` is the source): ``step ==
    "check"`` when refused before anything was changed (bad or taken name,
    source missing or not shut off, a disk outside any pool), otherwise the
    step that failed, after rolling back. ``fail_at`` is a test hook naming a
    step (``"copy disk vda"``, ..., ``"define domain"``) that fails on purpose
    before doing anything; a name that is not a step raises ``ValueError``
    after the checks and before any change.
    """
    try:
        xml, plans = _check(conn, source_name, new_name)
    except libvirt.libvirtError as exc:
        raise refuse(
            "clone", source_name, [f"Could not read the source: {describe_error(exc)}"]
        ) from exc

    steps = [*(copy_step(p.target) for p in plans), STEP_DEFINE]
    txn = Transaction("clone", source_name, steps, fail_at)
    sources: dict[str, DiskSource] = {}
    paths: dict[str, str] = {}
    for plan in plans:
        with txn.step(copy_step(plan.target)):
            new_xml = volume_xml(plan.new_volume, plan.capacity, plan.fmt)
            vol = plan.pool.createXMLFrom(new_xml, plan.source_vol, 0)
            txn.on_rollback(
                f"volume '{plan.new_volume}' in pool '{plan.pool_name}'",
                f"deleted volume '{plan.new_volume}'",
                functools.partial(delete_volume, vol),
            )
            sources[plan.target] = DiskSource.of(vol, plan.pool_name)
            paths[plan.target] = vol.path()

    with txn.step(STEP_DEFINE):
        dom = conn.defineXML(clone_domain_xml(xml, new_name, sources))
        txn.on_rollback(
            f"VM '{new_name}' (defined)", f"undefined VM '{new_name}'", lambda: undefine_domain(dom)
        )
        uuid = dom.UUIDString()

    return CloneResult(
        name=new_name,
        uuid=uuid,
        source_name=source_name,
        volume_paths=paths,
        timings=dict(txn.timings),
    )
