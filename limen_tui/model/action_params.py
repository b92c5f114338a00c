"""Typed parameters of each action: what the operator chose, checked by mypy, kept in the audit.

Pure data, no libvirt. `as_record()` gives what the audit log stores.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

from limen_tui.model.device_params import (
    AttachDisk,
    AttachNic,
    ChangeMedia,
    DetachDisk,
    DetachNic,
    EditXml,
    SetBootOrder,
)
from limen_tui.model.tags import SetTags
from limen_tui.model.vm_spec import VmSpec


@dataclass(frozen=True, slots=True)
class NoParams:
    """Most actions need nothing but the VM."""


@dataclass(frozen=True, slots=True)
class Autostart:
    enabled: bool


@dataclass(frozen=True, slots=True)
class SetVcpus:
    vcpus: int


@dataclass(frozen=True, slots=True)
class SetMemory:
    memory_mib: int


@dataclass(frozen=True, slots=True)
class Rename:
    new_name: str


@dataclass(frozen=True, slots=True)
class Delete:
    remove_storage: bool = False


@dataclass(frozen=True, slots=True)
class SnapshotTake:
    name: str
    description: str = ""
    with_memory: bool = False


@dataclass(frozen=True, slots=True)
class SnapshotRevert:
    name: str


@dataclass(frozen=True, slots=True)
class SnapshotDelete:
    name: str
    with_children: bool = False


@dataclass(frozen=True, slots=True)
class CreateVm:
    spec: VmSpec
    start: bool


@dataclass(frozen=True, slots=True)
class CloneVm:
    new_name: str


@dataclass(frozen=True, slots=True)
class Migrate:
    """Move a VM to another host of the fleet: live when it runs, offline when it is shut off."""

    dest: str
    """The destination host's key in the fleet."""
    copy_storage: bool = False
    """Copy the disks too (no shared storage); the destination needs room for them."""
    auto_converge: bool = False
    """Let QEMU slow the guest's vCPUs down until the copy catches up."""
    postcopy: bool = False
    """Allow switching to post-copy (the VM runs on the destination before all memory came)."""
    bandwidth_mib_s: int = 0
    """Limit of the memory transfer in MiB/s; 0: no limit."""
    persist_dest: bool = True
    """Define the VM on the destination (it survives a restart there)."""
    undefine_source: bool = True
    """Remove the VM's definition from the source once it moved."""
    shared_unseen: bool = False
    """The disks are shared in a way libvirt cannot see (the same local folder on both, a
    cluster file system): skip its shared-storage safety check (VIR_MIGRATE_UNSAFE)."""
    dest_uri: str = ""
    """The destination as the source's daemon reaches it, when not the console's URI."""


@dataclass(frozen=True, slots=True)
class OnPool:
    """Start, stop or refresh one storage pool."""

    pool: str


@dataclass(frozen=True, slots=True)
class PoolAutostart:
    pool: str
    enabled: bool


@dataclass(frozen=True, slots=True)
class DefinePool:
    """A new directory pool (type dir) at `path`, built and started."""

    pool: str
    path: str


@dataclass(frozen=True, slots=True)
class CreateVolume:
    pool: str
    name: str
    format: str
    capacity: int
    """Bytes."""


@dataclass(frozen=True, slots=True)
class ResizeVolume:
    pool: str
    name: str
    capacity: int
    """The new size in bytes; shrinking is refused."""


@dataclass(frozen=True, slots=True)
class CloneVolume:
    pool: str
    name: str
    new_name: str


@dataclass(frozen=True, slots=True)
class OnVolume:
    """Wipe or delete one volume."""

    pool: str
    name: str


@dataclass(frozen=True, slots=True)
class OnNetwork:
    """Start or stop one network."""

    network: str


@dataclass(frozen=True, slots=True)
class NetworkAutostart:
    network: str
    enabled: bool


@dataclass(frozen=True, slots=True)
class PinAddress:
    """Add (or remove) a static DHCP host entry: `mac` always gets `ip`."""

    network: str
    mac: str
    ip: str
    hostname: str = ""


ActionParams = (
    NoParams
    | Autostart
    | SetVcpus
    | SetMemory
    | Rename
    | Delete
    | SnapshotTake
    | SnapshotRevert
    | SnapshotDelete
    | CreateVm
    | CloneVm
    | Migrate
    | OnPool
    | PoolAutostart
    | DefinePool
    | CreateVolume
    | ResizeVolume
    | CloneVolume
    | OnVolume
    | OnNetwork
    | NetworkAutostart
    | PinAddress
    | AttachDisk
    | DetachDisk
    | AttachNic
    | DetachNic
    | ChangeMedia
    | SetBootOrder
    | EditXml
    | SetTags
)


def as_record(params: ActionParams) -> dict[str, Any]:
    """The parameters as the audit log keeps them (a create's spec flattened, as before)."""
    if isinstance(params, CreateVm):
        return {**asdict(params.spec), "start": params.start}
    if isinstance(params, EditXml):  # the XML carries secrets (display passwords): not kept
        digest = hashlib.sha256(params.xml.encode()).hexdigest()
        return {
            "xml_sha256": digest,
            "xml_chars": len(params.xml),
            "base_sha256": params.base_sha256,
        }
    return asdict(params)
