"""What each VM action does in libvirt, and which event confirms it. Blocking: run in workers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import libvirt

from limen_tui.virt import snapshots
from limen_tui.virt.connection import describe_error

Params = dict[str, Any]

UNDEFINE_EVERYTHING = (
    libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
    | libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
    | libvirt.VIR_DOMAIN_UNDEFINE_NVRAM
    | getattr(libvirt, "VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA", 0)
)
AFFECT_LIVE = libvirt.VIR_DOMAIN_AFFECT_LIVE
AFFECT_CONFIG = libvirt.VIR_DOMAIN_AFFECT_CONFIG


class ActionRefused(Exception):
    """The action cannot be done as asked; the message says why in plain words."""


@dataclass(frozen=True, slots=True)
class ActionDef:
    key: str
    """Stable name used in config, audit log and code: start, shutdown, force_off, ..."""
    label: str
    run: Callable[[libvirt.virDomain, Params], str]
    """Does the work; returns a short note for the operations pane."""
    confirms: frozenset[str] = field(default_factory=frozenset)
    """Lifecycle event words that confirm the outcome; empty: the call's return is the outcome."""
    optional_confirm: bool = False
    """True when the guest may legitimately never send the event (reboot without ACPI)."""
    destructive: bool = False
    type_name_to_confirm: bool = False
    needs_running: bool | None = None
    """True: only for active VMs; False: only for shut off VMs; None: either."""


def _active(dom: libvirt.virDomain) -> bool:
    return bool(dom.isActive())


def _start(dom: libvirt.virDomain, _p: Params) -> str:
    restored = bool(dom.hasManagedSaveImage(0))
    dom.create()
    return "restored from its saved state" if restored else "started"


def _shutdown(dom: libvirt.virDomain, _p: Params) -> str:
    dom.shutdown()
    return "shutdown requested (ACPI)"


def _reboot(dom: libvirt.virDomain, _p: Params) -> str:
    dom.reboot(0)
    return "reboot requested"


def _force_off(dom: libvirt.virDomain, _p: Params) -> str:
    dom.destroy()
    return "powered off"


def _reset(dom: libvirt.virDomain, _p: Params) -> str:
    dom.reset(0)
    return "reset"


def _pause(dom: libvirt.virDomain, _p: Params) -> str:
    dom.suspend()
    return "paused"


def _resume(dom: libvirt.virDomain, _p: Params) -> str:
    dom.resume()
    return "resumed"


def _managed_save(dom: libvirt.virDomain, _p: Params) -> str:
    dom.managedSave(0)
    return "memory saved to disk; start restores it"


def _autostart(dom: libvirt.virDomain, p: Params) -> str:
    want = bool(p["enabled"])
    dom.setAutostart(1 if want else 0)
    if bool(dom.autostart()) != want:
        raise ActionRefused("libvirt accepted the change but autostart did not change")
    return "autostart on" if want else "autostart off"


def _resize(
    dom: libvirt.virDomain,
    value: int,
    maximum: int,
    set_flags: Callable[[int, int], object],
    max_flag: int,
    words: Callable[[int], str],
) -> str:
    """Set a size in the persistent definition, raising its maximum while the VM is off, and
    live too where the driver allows. `words(n)` names a size for the operator."""
    live = _active(dom)
    if value > maximum:
        if live:
            raise ActionRefused(
                f"{words(value)} is above this VM's maximum of {words(maximum)}; "
                "shut it off to raise the maximum"
            )
        set_flags(value, AFFECT_CONFIG | max_flag)
    set_flags(value, AFFECT_CONFIG)
    if not live:
        return words(value)
    try:
        set_flags(value, AFFECT_LIVE)
    except libvirt.libvirtError as exc:
        return f"{words(value)} from the next boot (not live: {describe_error(exc)})"
    return f"{words(value)} now and after reboot"


def _set_vcpus(dom: libvirt.virDomain, p: Params) -> str:
    n = int(p["vcpus"])
    if n < 1:
        raise ActionRefused("vCPUs must be at least 1")
    maximum = int(dom.vcpusFlags(AFFECT_CONFIG | libvirt.VIR_DOMAIN_VCPU_MAXIMUM))
    return _resize(
        dom, n, maximum, dom.setVcpusFlags, libvirt.VIR_DOMAIN_VCPU_MAXIMUM, lambda v: f"{v} vCPUs"
    )


def _set_memory(dom: libvirt.virDomain, p: Params) -> str:
    mib = int(p["memory_mib"])
    if mib < 1:
        raise ActionRefused("memory must be at least 1 MiB")
    # libvirt counts KiB; the operator reads MiB.
    return _resize(
        dom,
        mib * 1024,
        int(dom.maxMemory()),
        dom.setMemoryFlags,
        libvirt.VIR_DOMAIN_MEM_MAXIMUM,
        lambda kib: f"{kib // 1024} MiB",
    )


def _rename(dom: libvirt.virDomain, p: Params) -> str:
    new = str(p["new_name"])
    old = dom.name()
    dom.rename(new, 0)
    return f"renamed from {old}"


def disk_volumes(dom: libvirt.virDomain) -> list[str]:
    """Paths of the VM's file or volume disks (not CD-ROMs), from its persistent definition."""
    root = ET.fromstring(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    paths = []
    for disk in root.findall("./devices/disk"):
        if disk.get("device", "disk") != "disk":
            continue
        source = disk.find("source")
        if source is None:
            continue
        path = source.get("file") or source.get("dev")
        if path:
            paths.append(path)
        elif source.get("pool") and source.get("volume"):
            vol = (
                dom.connect()
                .storagePoolLookupByName(source.get("pool"))
                .storageVolLookupByName(source.get("volume"))
            )
            paths.append(vol.path())
    return paths


def _undefine(dom: libvirt.virDomain) -> None:
    """Undefine with its saved state, snapshot metadata and NVRAM, as far as the driver allows."""
    for flags in (
        UNDEFINE_EVERYTHING,
        libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA,
    ):
        try:
            dom.undefineFlags(flags)
            return
        except libvirt.libvirtError as exc:
            if exc.get_error_code() not in (
                libvirt.VIR_ERR_INVALID_ARG,
                libvirt.VIR_ERR_NO_SUPPORT,
                libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED,
            ):
                raise
    dom.undefine()


def _delete(dom: libvirt.virDomain, p: Params) -> str:
    volumes = disk_volumes(dom) if p.get("remove_storage") else []
    if _active(dom):
        dom.destroy()
    _undefine(dom)
    removed, kept = [], []
    conn = dom.connect()
    for path in volumes:
        try:
            conn.storageVolLookupByPath(path).delete(0)
            removed.append(path)
        except libvirt.libvirtError as exc:
            kept.append(f"{path} ({describe_error(exc)})")
    note = "deleted"
    if removed:
        note += f"; removed {len(removed)} volume(s)"
    if kept:
        raise ActionRefused(
            f"VM deleted, but these volumes could not be removed: {', '.join(kept)}"
        )
    return note


def _snapshot_create(dom: libvirt.virDomain, p: Params) -> str:
    try:
        snapshots.create_snapshot(
            dom,
            str(p["name"]),
            str(p.get("description", "")),
            with_memory=bool(p.get("with_memory")) and _active(dom),
        )
    except (libvirt.libvirtError, snapshots.SnapshotRefused) as exc:
        raise ActionRefused(snapshots.explain(exc)) from exc
    return f"snapshot {p['name']} taken"


def _snapshot_revert(dom: libvirt.virDomain, p: Params) -> str:
    try:
        snapshots.revert_snapshot(dom, str(p["name"]))
    except libvirt.libvirtError as exc:
        raise ActionRefused(snapshots.explain(exc)) from exc
    return f"reverted to {p['name']}"


def _snapshot_delete(dom: libvirt.virDomain, p: Params) -> str:
    children = bool(p.get("with_children"))
    try:
        snapshots.delete_snapshot(dom, str(p["name"]), with_children=children)
    except libvirt.libvirtError as exc:
        raise ActionRefused(snapshots.explain(exc)) from exc
    return f"snapshot {p['name']} deleted" + (" with its children" if children else "")


ACTIONS: dict[str, ActionDef] = {
    a.key: a
    for a in (
        ActionDef("start", "Start", _start, frozenset({"started"}), needs_running=False),
        ActionDef("shutdown", "Shut down", _shutdown, frozenset({"stopped"}), needs_running=True),
        ActionDef(
            "reboot",
            "Reboot",
            _reboot,
            frozenset({"reboot"}),
            optional_confirm=True,
            needs_running=True,
        ),
        ActionDef(
            "force_off",
            "Force off",
            _force_off,
            frozenset({"stopped"}),
            destructive=True,
            needs_running=True,
        ),
        ActionDef(
            "reset",
            "Reset",
            _reset,
            frozenset({"reboot"}),
            optional_confirm=True,
            destructive=True,
            needs_running=True,
        ),
        ActionDef("pause", "Pause", _pause, frozenset({"suspended"}), needs_running=True),
        ActionDef("resume", "Resume", _resume, frozenset({"resumed"}), needs_running=True),
        ActionDef(
            "managed_save",
            "Save (managed)",
            _managed_save,
            frozenset({"stopped"}),
            needs_running=True,
        ),
        ActionDef("autostart", "Autostart", _autostart),
        ActionDef("set_vcpus", "Set vCPUs", _set_vcpus),
        ActionDef("set_memory", "Set memory", _set_memory),
        ActionDef("rename", "Rename", _rename, frozenset({"defined"}), needs_running=False),
        ActionDef(
            "delete",
            "Delete",
            _delete,
            frozenset({"undefined"}),
            destructive=True,
            type_name_to_confirm=True,
        ),
        ActionDef("snapshot_create", "Take snapshot", _snapshot_create),
        ActionDef("snapshot_revert", "Revert to snapshot", _snapshot_revert, destructive=True),
        ActionDef("snapshot_delete", "Delete snapshot", _snapshot_delete, destructive=True),
    )
}

VM_MENU = [k for k in ACTIONS if not k.startswith("snapshot_")]
"""Actions offered in the VM action menu; snapshot actions live in the snapshot view."""
