"""What a new VM should be, and every reason the host would refuse it. Blocking: call from a worker.

:func:`validate` answers the create form with one sentence per problem, each
starting with the field it is about, before anything is created. Everything
is asked of libvirt, never of the local filesystem, so it works on a remote
host too.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import libvirt

from limen_tui.model.vm_spec import (
    DISK_FORMATS,
    GIB,
    NIC_ETHERNET,
    NIC_USER,
    VmSpec,
    check_name,
)


@dataclass(frozen=True)
class GuestTarget:
    """What kind of guest this host can run, read from its capabilities."""

    arch: str
    domain_type: str
    """``kvm`` when libvirt found a usable ``/dev/kvm``, else ``qemu`` (TCG)."""
    machine: str | None
    """``q35`` or ``pc`` on x86; ``None`` leaves libvirt's default."""
    max_vcpus: int | None
    """The machine type's limit, if the capabilities say."""


# ----------------------------------------------------------------------- checks


def check_name_free(conn: libvirt.virConnect, name: str, label: str = "Name") -> list[str]:
    try:
        conn.lookupByName(name)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
            return []
        raise
    return [f"{label}: a VM named '{name}' already exists."]


def guest_target(capabilities_xml: str) -> GuestTarget | None:
    """The hvm guest for the host's own architecture, or ``None`` if there is none."""
    root = ET.fromstring(capabilities_xml)
    host_arch = root.findtext("./host/cpu/arch")
    for guest in root.findall("guest"):
        arch = guest.find("arch")
        if guest.findtext("os_type") != "hvm" or arch is None:
            continue
        if arch.get("name") != host_arch:
            continue
        types = {d.get("type") for d in arch.findall("domain")}
        machines = {m.text: m.get("maxCpus") for m in arch.findall("machine")}
        machine = next((m for m in ("q35", "pc") if m in machines), None)
        limit = machines.get(machine) if machine else None
        return GuestTarget(
            arch=arch.get("name") or "",
            domain_type="kvm" if "kvm" in types else "qemu",
            machine=machine,
            max_vcpus=int(limit) if limit and limit.isdigit() else None,
        )
    return None


def _gib(n: float) -> str:
    return f"{n / GIB:.2f} GiB"


def _check_host(conn: libvirt.virConnect, spec: VmSpec, target: GuestTarget) -> list[str]:
    errors = []
    _arch, host_mib, host_cpus, *_ = conn.getInfo()
    if spec.vcpus < 1:
        errors.append("vCPUs: at least 1.")
    elif spec.vcpus > host_cpus:
        errors.append(f"vCPUs: {spec.vcpus} is more than this host's {host_cpus} CPUs.")
    else:
        try:
            limit = int(conn.getMaxVcpus(target.domain_type))
        except libvirt.libvirtError:
            limit = target.max_vcpus or spec.vcpus
        limit = min(limit, target.max_vcpus or limit)
        if spec.vcpus > limit:
            errors.append(f"vCPUs: a {target.domain_type} guest can have at most {limit}.")
    if spec.memory_mib < 1:
        errors.append("Memory: at least 1 MiB.")
    elif spec.memory_mib > host_mib:
        errors.append(f"Memory: {spec.memory_mib} MiB is more than this host's {host_mib} MiB.")
    return errors


def _check_pool(conn: libvirt.virConnect, spec: VmSpec, name_ok: bool) -> list[str]:
    errors = []
    if spec.disk_format not in DISK_FORMATS:
        errors.append(f"Disk format: '{spec.disk_format}' is not one of {', '.join(DISK_FORMATS)}.")
    size_ok = math.isfinite(spec.disk_gib) and spec.disk_gib > 0
    if not size_ok:
        errors.append("Disk size: must be more than 0 GiB.")
    try:
        pool = conn.storagePoolLookupByName(spec.pool)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() != libvirt.VIR_ERR_NO_STORAGE_POOL:
            raise
        return [*errors, f"Storage pool: there is no pool named '{spec.pool}'."]
    if not pool.isActive():
        return [*errors, f"Storage pool: '{spec.pool}' is not active; start it first."]
    available = pool.info()[3]
    if size_ok and spec.disk_bytes > available:
        errors.append(
            f"Disk size: {_gib(spec.disk_bytes)} is more than the {_gib(available)} "
            f"free in pool '{spec.pool}'."
        )
    if name_ok:
        try:
            pool.storageVolLookupByName(spec.volume_name)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() != libvirt.VIR_ERR_NO_STORAGE_VOL:
                raise
        else:
            errors.append(
                f"Disk: pool '{spec.pool}' already has a volume named '{spec.volume_name}'."
            )
    return errors


def _check_network(conn: libvirt.virConnect, network: str | None) -> list[str]:
    if network in (None, NIC_USER, NIC_ETHERNET):
        return []
    try:
        net = conn.networkLookupByName(network)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() != libvirt.VIR_ERR_NO_NETWORK:
            raise
        return [f"Network: there is no network named '{network}'."]
    if not net.isActive():
        return [f"Network: '{network}' is not active; start it first."]
    return []


def _check_iso(conn: libvirt.virConnect, path: str | None) -> list[str]:
    if path is None:
        return []
    try:
        conn.storageVolLookupByPath(path)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() != libvirt.VIR_ERR_NO_STORAGE_VOL:
            raise
        return [
            f"Boot ISO: no storage volume has the path '{path}'; "
            "put the ISO in a storage pool (and refresh it)."
        ]
    return []


def validate_with_target(
    conn: libvirt.virConnect, spec: VmSpec
) -> tuple[list[str], GuestTarget | None]:
    """:func:`validate`, plus the guest type it found (``None`` if the host has none)."""
    errors = check_name(spec.name)
    name_ok = not errors
    if name_ok:
        errors += check_name_free(conn, spec.name)
    target = guest_target(conn.getCapabilities())
    if target is None:
        errors.append("Host: libvirt offers no hardware-virtualised guest for this host's CPU.")
    else:
        errors += _check_host(conn, spec, target)
    errors += _check_pool(conn, spec, name_ok)
    errors += _check_network(conn, spec.network)
    errors += _check_iso(conn, spec.boot_iso)
    return errors, target


def validate(conn: libvirt.virConnect, spec: VmSpec) -> list[str]:
    """Every reason to refuse ``spec``, one sentence each, starting with the field's label.

    Empty means libvirt should accept it. Changes nothing. A libvirt error other
    than "not found" (e.g. a dropped connection) propagates.
    """
    return validate_with_target(conn, spec)[0]
