"""libvirt's side of a migration: what the VM needs, what the destination offers, the call,
its job stats, abort. Every function blocks: run them in the hosts' workers.

The checks are split in two reads, one per host (`read_needs` on the source, `read_offer` on
the destination), so a slow destination only stalls its own workers; the verdict on them is
pure (fleet/migration_checks.py).
"""

from __future__ import annotations

import os.path
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import libvirt

from limen_tui.model.action_params import Migrate

MIGRATABLE = libvirt.VIR_DOMAIN_XML_MIGRATABLE


@dataclass(frozen=True, slots=True)
class DiskNeed:
    target: str
    path: str
    pool: str | None = None
    """The storage pool holding it on the source, when one does."""


@dataclass(frozen=True, slots=True)
class VmNeeds:
    """What a VM needs from any host it moves to, read on the source."""

    name: str
    uuid: str
    active: bool
    persistent: bool
    memory_kib: int
    vcpus: int
    cpu_xml: str | None
    """The VM's <cpu> when it names a model; None for the hypervisor's default CPU."""
    cpu_passthrough: bool
    arch: str
    machine: str
    virt_type: str
    networks: tuple[str, ...]
    disks: tuple[DiskNeed, ...]
    source_uuid: str
    source_hostname: str
    source_cpu_model: str


@dataclass(frozen=True, slots=True)
class DestOffer:
    """What the destination offers the VM, read on the destination."""

    hostname: str
    host_uuid: str
    free_bytes: int
    cpu_problem: str | None
    """Why the VM's CPU cannot run there, or None."""
    cpu_model: str
    networks: dict[str, bool] = field(default_factory=dict)
    """Name -> active, for every network of the destination."""
    pools: dict[str, bool] = field(default_factory=dict)
    disks_present: dict[str, bool] = field(default_factory=dict)
    """VM disk path -> whether the destination knows a volume at that path."""
    same_name: str | None = None
    """State of a VM of the same name or UUID already there, or None."""


def _host_facts(conn: libvirt.virConnect) -> tuple[str, str]:
    """(host UUID, host CPU model) from the capabilities."""
    host = ET.fromstring(conn.getCapabilities()).find("host")
    if host is None:
        return "", ""
    return host.findtext("uuid", ""), host.findtext("cpu/model", "")


def read_needs(conn: libvirt.virConnect, uuid: str) -> VmNeeds:
    dom = conn.lookupByUUIDString(uuid)
    active = bool(dom.isActive())
    root = ET.fromstring(dom.XMLDesc(MIGRATABLE if active else libvirt.VIR_DOMAIN_XML_INACTIVE))
    cpu = root.find("cpu")
    mode = cpu.get("mode", "custom") if cpu is not None else ""
    has_model = cpu is not None and cpu.find("model") is not None and mode != "host-passthrough"
    os_type = root.find("os/type")
    disks = []
    for disk in root.findall("devices/disk"):
        if disk.get("device", "disk") not in ("disk", "lun"):
            continue
        source = disk.find("source")
        path = source.get("file") or source.get("dev") if source is not None else None
        if path:
            try:
                pool = str(conn.storageVolLookupByPath(path).storagePoolLookupByVolume().name())
            except libvirt.libvirtError:
                pool = None
            disks.append(DiskNeed(_target(disk), path, pool))
    networks = tuple(
        str(s.get("network"))
        for s in root.findall("devices/interface[@type='network']/source")
        if s.get("network")
    )
    info = dom.info()
    source_uuid, source_cpu = _host_facts(conn)
    return VmNeeds(
        name=str(dom.name()),
        uuid=uuid,
        active=active,
        persistent=bool(dom.isPersistent()),
        memory_kib=int(info[2] if active else info[1]),
        vcpus=int(info[3]),
        cpu_xml=ET.tostring(cpu, encoding="unicode") if has_model and cpu is not None else None,
        cpu_passthrough=mode == "host-passthrough",
        arch=os_type.get("arch", "x86_64") if os_type is not None else "x86_64",
        machine=os_type.get("machine", "") if os_type is not None else "",
        virt_type=root.get("type", "qemu"),
        networks=networks,
        disks=tuple(disks),
        source_uuid=source_uuid,
        source_hostname=str(conn.getHostname()),
        source_cpu_model=source_cpu,
    )


def _target(disk: ET.Element) -> str:
    target = disk.find("target")
    return target.get("dev", "?") if target is not None else "?"


def _cpu_problem(conn: libvirt.virConnect, needs: VmNeeds) -> str | None:
    if needs.cpu_xml is None:
        return None
    try:
        result = conn.compareHypervisorCPU(
            None, needs.arch, needs.machine or None, needs.virt_type, needs.cpu_xml, 0
        )
    except libvirt.libvirtError as exc:
        return str(exc.get_error_message() or exc)
    if result == libvirt.VIR_CPU_COMPARE_INCOMPATIBLE:
        return "its CPU model is not available there"
    return None


def _present(conn: libvirt.virConnect, path: str) -> bool:
    try:
        conn.storageVolLookupByPath(path)
        return True
    except libvirt.libvirtError:
        pass
    # A pool over the disk's folder may not have seen the file yet: refresh it once.
    folder = os.path.dirname(path)
    for pool in conn.listAllStoragePools(libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE):
        target = ET.fromstring(pool.XMLDesc(0)).findtext("target/path", "")
        if target.rstrip("/") == folder:
            try:
                pool.refresh(0)
                conn.storageVolLookupByPath(path)
                return True
            except libvirt.libvirtError:
                return False
    return False


def read_offer(conn: libvirt.virConnect, needs: VmNeeds) -> DestOffer:
    host_uuid, cpu_model = _host_facts(conn)
    same: str | None = None
    for lookup, key in ((conn.lookupByUUIDString, needs.uuid), (conn.lookupByName, needs.name)):
        try:
            dom = lookup(key)
        except libvirt.libvirtError:
            continue
        same = f"{dom.name()} ({'running' if dom.isActive() else 'shut off'})"
        break
    return DestOffer(
        hostname=str(conn.getHostname()),
        host_uuid=host_uuid,
        free_bytes=int(conn.getFreeMemory()),
        cpu_problem=_cpu_problem(conn, needs),
        cpu_model=cpu_model,
        networks={str(n.name()): bool(n.isActive()) for n in conn.listAllNetworks(0)},
        pools={str(p.name()): bool(p.isActive()) for p in conn.listAllStoragePools(0)},
        disks_present={d.path: _present(conn, d.path) for d in needs.disks},
        same_name=same,
    )


# -- the call ----------------------------------------------------------------------------------


def migration_flags(params: Migrate, active: bool) -> int:
    flags: int = libvirt.VIR_MIGRATE_PEER2PEER
    if params.persist_dest or not active:
        flags |= libvirt.VIR_MIGRATE_PERSIST_DEST  # an offline migration needs it
    if params.undefine_source:
        flags |= libvirt.VIR_MIGRATE_UNDEFINE_SOURCE
    if not active:
        flags |= libvirt.VIR_MIGRATE_OFFLINE
        return flags
    flags |= libvirt.VIR_MIGRATE_LIVE
    if params.copy_storage:
        flags |= libvirt.VIR_MIGRATE_NON_SHARED_DISK
    if params.shared_unseen:
        flags |= libvirt.VIR_MIGRATE_UNSAFE
    if params.auto_converge:
        flags |= libvirt.VIR_MIGRATE_AUTO_CONVERGE
    if params.postcopy:
        flags |= libvirt.VIR_MIGRATE_POSTCOPY
    return flags


def migration_params(params: Migrate) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if params.bandwidth_mib_s > 0:
        found[libvirt.VIR_MIGRATE_PARAM_BANDWIDTH] = params.bandwidth_mib_s
    return found


def migrate(dom: libvirt.virDomain, dest_uri: str, params: Migrate, active: bool) -> None:
    """Blocks until the migration ended; raises libvirtError when it failed or was aborted."""
    dom.migrateToURI3(dest_uri, migration_params(params), migration_flags(params, active))


def job_stats(dom: libvirt.virDomain) -> dict[str, Any]:
    """libvirt's own figures of the running job ({"type": 0} when none runs)."""
    return dict(dom.jobStats(0))


def abort(dom: libvirt.virDomain) -> None:
    dom.abortJob()


def start_postcopy(dom: libvirt.virDomain) -> None:
    dom.migrateStartPostCopy(0)


def set_bandwidth(dom: libvirt.virDomain, mib_s: int) -> None:
    dom.migrateSetMaxSpeed(mib_s, 0)


def still_running(conn: libvirt.virConnect, uuid: str) -> bool | None:
    """Whether the VM runs on this host (None: it is not here at all)."""
    try:
        return bool(conn.lookupByUUIDString(uuid).isActive())
    except libvirt.libvirtError:
        return None


def node_room(conn: libvirt.virConnect) -> tuple[int, int]:
    """(free memory in bytes, CPUs) of a host, for the evacuation plan."""
    return int(conn.getFreeMemory()), int(conn.getInfo()[2])
