"""Create a VM as one transaction: volume, definition, start. Blocking: call from a worker.

The form calls :func:`validate` and shows its sentences; :func:`create_vm`
checks again (the host may have changed meanwhile) and then runs the steps
``create volume`` -> ``define domain`` -> ``start``. A failing step rolls back
the ones before it and raises :class:`~limen_tui.virt.transaction.ProvisionError`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import libvirt

from limen_tui.model.vm_spec import NIC_ETHERNET, NIC_USER, VmSpec, check_name
from limen_tui.virt.connection import describe_error
from limen_tui.virt.transaction import (
    ProvisionError,
    Transaction,
    delete_volume,
    destroy_domain,
    refuse,
    undefine_domain,
)
from limen_tui.virt.vmspec import (
    GuestTarget,
    guest_target,
    validate,
    validate_with_target,
)

STEP_CREATE_VOLUME = "create volume"
STEP_DEFINE = "define domain"
STEP_START = "start"


@dataclass(frozen=True)
class DiskSource:
    """How the domain XML points at a volume: ``<disk type=...><source attrs/>``."""

    type: str
    attrs: dict[str, str]

    @classmethod
    def of(cls, vol: libvirt.virStorageVol, pool: str) -> DiskSource:
        kind = vol.info()[0]
        if kind == libvirt.VIR_STORAGE_VOL_FILE:
            return cls("file", {"file": vol.path()})
        if kind == libvirt.VIR_STORAGE_VOL_BLOCK:
            return cls("block", {"dev": vol.path()})
        return cls("volume", {"pool": pool, "volume": vol.name()})


@dataclass(frozen=True)
class CreateResult:
    name: str
    uuid: str
    volume_path: str
    started: bool
    domain_type: str
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per step, for the audit log and benchmarks."""


# ---------------------------------------------------------------------- the XML


def volume_xml(name: str, capacity_bytes: int, fmt: str) -> str:
    vol = ET.Element("volume")
    ET.SubElement(vol, "name").text = name
    ET.SubElement(vol, "capacity", unit="bytes").text = str(capacity_bytes)
    ET.SubElement(vol, "allocation", unit="bytes").text = "0"
    target = ET.SubElement(vol, "target")
    ET.SubElement(target, "format", type=fmt)
    return ET.tostring(vol, encoding="unicode")


def _interface(devices: ET.Element, network: str | None) -> None:
    if network is None:
        return
    if network in (NIC_USER, NIC_ETHERNET):
        iface = ET.SubElement(devices, "interface", type=network)
    else:
        iface = ET.SubElement(devices, "interface", type="network")
        ET.SubElement(iface, "source", network=network)
    ET.SubElement(iface, "model", type="virtio")


def domain_xml(spec: VmSpec, target: GuestTarget, disk: DiskSource) -> str:
    """The new domain: virtio disk and NIC, optional serial console and ISO, VNC on 127.0.0.1."""
    dom = ET.Element("domain", type=target.domain_type)
    ET.SubElement(dom, "name").text = spec.name
    ET.SubElement(dom, "memory", unit="MiB").text = str(spec.memory_mib)
    ET.SubElement(dom, "currentMemory", unit="MiB").text = str(spec.memory_mib)
    ET.SubElement(dom, "vcpu", placement="static").text = str(spec.vcpus)

    os_el = ET.SubElement(dom, "os")
    os_type = ET.SubElement(os_el, "type", arch=target.arch)
    os_type.text = "hvm"
    if target.machine:
        os_type.set("machine", target.machine)
    if spec.boot_iso is not None:
        ET.SubElement(os_el, "boot", dev="cdrom")
    ET.SubElement(os_el, "boot", dev="hd")
    if spec.serial_console:
        # SeaBIOS then prints to the serial console, so the console shows boot at once.
        ET.SubElement(os_el, "bios", useserial="yes")

    features = ET.SubElement(dom, "features")
    ET.SubElement(features, "acpi")
    ET.SubElement(features, "apic")
    ET.SubElement(dom, "clock", offset="utc")
    ET.SubElement(dom, "on_poweroff").text = "destroy"
    ET.SubElement(dom, "on_reboot").text = "restart"
    ET.SubElement(dom, "on_crash").text = "destroy"

    devices = ET.SubElement(dom, "devices")
    disk_el = ET.SubElement(devices, "disk", type=disk.type, device="disk")
    ET.SubElement(disk_el, "driver", name="qemu", type=spec.disk_format)
    ET.SubElement(disk_el, "source", disk.attrs)
    ET.SubElement(disk_el, "target", dev="vda", bus="virtio")
    if spec.boot_iso is not None:
        cdrom = ET.SubElement(devices, "disk", type="file", device="cdrom")
        ET.SubElement(cdrom, "driver", name="qemu", type="raw")
        ET.SubElement(cdrom, "source", file=spec.boot_iso)
        # q35 has no IDE controller.
        bus, dev = ("sata", "sda") if target.machine == "q35" else ("ide", "hdc")
        ET.SubElement(cdrom, "target", dev=dev, bus=bus)
        ET.SubElement(cdrom, "readonly")
    _interface(devices, spec.network)
    if spec.serial_console:
        serial = ET.SubElement(devices, "serial", type="pty")
        ET.SubElement(serial, "target", port="0")
        console = ET.SubElement(devices, "console", type="pty")
        ET.SubElement(console, "target", type="serial", port="0")
    agent = ET.SubElement(devices, "channel", type="unix")
    ET.SubElement(agent, "target", type="virtio", name="org.qemu.guest_agent.0")
    graphics = ET.SubElement(devices, "graphics", type="vnc", port="-1", autoport="yes")
    graphics.set("listen", "127.0.0.1")
    ET.SubElement(graphics, "listen", type="address", address="127.0.0.1")
    video = ET.SubElement(devices, "video")
    ET.SubElement(video, "model", type="vga")
    balloon = ET.SubElement(devices, "memballoon", model="virtio")
    ET.SubElement(balloon, "stats", period="10")

    ET.indent(dom)
    return ET.tostring(dom, encoding="unicode")


# ---------------------------------------------------------------- the transaction


def create_vm(
    conn: libvirt.virConnect, spec: VmSpec, *, start: bool, fail_at: str | None = None
) -> CreateResult:
    """Create (and optionally start) the VM ``spec`` describes, or change nothing.

    Raises :class:`ProvisionError`: with ``step == "check"`` if :func:`validate`
    refuses the spec (``errors`` lists why), otherwise naming the step that
    failed after rolling back the steps before it. ``fail_at`` is a test hook:
    the named step (``"create volume"``, ``"define domain"`` or ``"start"``,
    which must be one this call runs) fails on purpose before doing anything.
    A bad ``fail_at`` raises ``ValueError`` before anything else.
    """
    steps = [STEP_CREATE_VOLUME, STEP_DEFINE, *([STEP_START] if start else [])]
    txn = Transaction("create", spec.name, steps, fail_at)
    try:
        errors, target = validate_with_target(conn, spec)
    except libvirt.libvirtError as exc:
        raise refuse(
            "create", spec.name, [f"Could not check the host: {describe_error(exc)}"]
        ) from exc
    if errors or target is None:
        raise refuse("create", spec.name, errors)

    with txn.step(STEP_CREATE_VOLUME):
        pool = conn.storagePoolLookupByName(spec.pool)
        vol = pool.createXML(volume_xml(spec.volume_name, spec.disk_bytes, spec.disk_format), 0)
        txn.on_rollback(
            f"volume '{spec.volume_name}' in pool '{spec.pool}'",
            f"deleted volume '{spec.volume_name}'",
            lambda: delete_volume(vol),
        )
        disk = DiskSource.of(vol, spec.pool)
        volume_path = vol.path()

    with txn.step(STEP_DEFINE):
        dom = conn.defineXML(domain_xml(spec, target, disk))
        txn.on_rollback(
            f"VM '{spec.name}' (defined)",
            f"undefined VM '{spec.name}'",
            lambda: undefine_domain(dom),
        )
        uuid = dom.UUIDString()

    if start:
        with txn.step(STEP_START):
            dom.create()
            # Nothing runs after the start today; registered so a later step stays safe.
            txn.on_rollback(
                f"VM '{spec.name}' (running)",
                f"forced off VM '{spec.name}'",
                lambda: destroy_domain(dom),
            )

    return CreateResult(
        name=spec.name,
        uuid=uuid,
        volume_path=volume_path,
        started=start,
        domain_type=target.domain_type,
        timings=dict(txn.timings),
    )


__all__ = [
    "NIC_ETHERNET",
    "NIC_USER",
    "STEP_CREATE_VOLUME",
    "STEP_DEFINE",
    "STEP_START",
    "CreateResult",
    "DiskSource",
    "GuestTarget",
    "ProvisionError",
    "VmSpec",
    "check_name",
    "create_vm",
    "domain_xml",
    "guest_target",
    "validate",
    "volume_xml",
]
