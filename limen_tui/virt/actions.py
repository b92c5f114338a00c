"""What each VM action does in libvirt, by registry id (fleet/registry.py says when it may run
and which event confirms it). Blocking: run in workers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import TypeVar

import libvirt

from limen_tui.model.action_params import (
    ActionParams,
    Autostart,
    Delete,
    Rename,
    SetMemory,
    SetVcpus,
    SnapshotDelete,
    SnapshotRevert,
    SnapshotTake,
)
from limen_tui.virt import snapshots
from limen_tui.virt.connection import describe_error

P = TypeVar("P")

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


def _given(params: ActionParams, kind: type[P]) -> P:
    if not isinstance(params, kind):
        raise ActionRefused(f"this action needs {kind.__name__} parameters, not {params!r}")
    return params


def _active(dom: libvirt.virDomain) -> bool:
    return bool(dom.isActive())


def _start(dom: libvirt.virDomain, _p: ActionParams) -> str:
    restored = bool(dom.hasManagedSaveImage(0))
    dom.create()
    return "restored from its saved state" if restored else "started"


def _shutdown(dom: libvirt.virDomain, _p: ActionParams) -> str:
    dom.shutdown()
    return "shutdown requested (ACPI)"


def _reboot(dom: libvirt.virDomain, _p: ActionParams) -> str:
    dom.reboot(0)
    return "reboot requested"


def _force_off(dom: libvirt.virDomain, _p: ActionParams) -> str:
    dom.destroy()
    return "powered off"


def _reset(dom: libvirt.virDomain, _p: ActionParams) -> str:
    dom.reset(0)
    return "reset"


def _pause(dom: libvirt.virDomain, _p: ActionParams) -> str:
    dom.suspend()
    return "paused"


def _resume(dom: libvirt.virDomain, _p: ActionParams) -> str:
    dom.resume()
    return "resumed"


def _managed_save(dom: libvirt.virDomain, _p: ActionParams) -> str:
    dom.managedSave(0)
    return "memory saved to disk; start restores it"


def _autostart(dom: libvirt.virDomain, p: ActionParams) -> str:
    want = _given(p, Autostart).enabled
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


def _set_vcpus(dom: libvirt.virDomain, p: ActionParams) -> str:
    n = _given(p, SetVcpus).vcpus
    if n < 1:
        raise ActionRefused("vCPUs must be at least 1")
    maximum = int(dom.vcpusFlags(AFFECT_CONFIG | libvirt.VIR_DOMAIN_VCPU_MAXIMUM))
    return _resize(
        dom, n, maximum, dom.setVcpusFlags, libvirt.VIR_DOMAIN_VCPU_MAXIMUM, lambda v: f"{v} vCPUs"
    )


def _set_memory(dom: libvirt.virDomain, p: ActionParams) -> str:
    mib = _given(p, SetMemory).memory_mib
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


def _rename(dom: libvirt.virDomain, p: ActionParams) -> str:
    new = _given(p, Rename).new_name
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


def _delete(dom: libvirt.virDomain, p: ActionParams) -> str:
    volumes = disk_volumes(dom) if _given(p, Delete).remove_storage else []
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


def _snapshot_create(dom: libvirt.virDomain, p: ActionParams) -> str:
    take = _given(p, SnapshotTake)
    try:
        snapshots.create_snapshot(
            dom, take.name, take.description, with_memory=take.with_memory and _active(dom)
        )
    except (libvirt.libvirtError, snapshots.SnapshotRefused) as exc:
        raise ActionRefused(snapshots.explain(exc)) from exc
    return f"snapshot {take.name} taken"


def _snapshot_revert(dom: libvirt.virDomain, p: ActionParams) -> str:
    name = _given(p, SnapshotRevert).name
    try:
        snapshots.revert_snapshot(dom, name)
    except libvirt.libvirtError as exc:
        raise ActionRefused(snapshots.explain(exc)) from exc
    return f"reverted to {name}"


def _snapshot_delete(dom: libvirt.virDomain, p: ActionParams) -> str:
    delete = _given(p, SnapshotDelete)
    children = delete.with_children
    try:
        snapshots.delete_snapshot(dom, delete.name, with_children=children)
    except libvirt.libvirtError as exc:
        raise ActionRefused(snapshots.explain(exc)) from exc
    return f"snapshot {delete.name} deleted" + (" with its children" if children else "")


def _migrate(_dom: libvirt.virDomain, _p: ActionParams) -> str:
    # Two hosts, progress and both hosts' events: more than one call on one VM.
    raise ActionRefused("a migration runs through Fleet.migrate, not as a single-VM action")


RUN: dict[str, Callable[[libvirt.virDomain, ActionParams], str]] = {
    "start": _start,
    "shutdown": _shutdown,
    "reboot": _reboot,
    "force_off": _force_off,
    "reset": _reset,
    "pause": _pause,
    "resume": _resume,
    "managed_save": _managed_save,
    "autostart": _autostart,
    "set_vcpus": _set_vcpus,
    "set_memory": _set_memory,
    "rename": _rename,
    "delete": _delete,
    "snapshot_create": _snapshot_create,
    "snapshot_revert": _snapshot_revert,
    "snapshot_delete": _snapshot_delete,
    "migrate": _migrate,
}
"""What each registry action does in libvirt; returns a short note for the operations pane."""
