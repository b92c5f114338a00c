"""Typed parameters of the device actions: attach or detach a disk or a NIC, change a CD-ROM's
medium, set the boot order, define an edited domain XML. Pure data, kept in the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DiskBus = Literal["virtio", "sata", "scsi", "usb", "ide"]
VolumeFormat = Literal["qcow2", "raw"]
NicKind = Literal["network", "bridge", "user"]


@dataclass(frozen=True, slots=True)
class NewVolume:
    """A volume to create in a storage pool before it is attached."""

    pool: str
    name: str
    capacity_bytes: int
    format: VolumeFormat = "qcow2"


@dataclass(frozen=True, slots=True)
class AttachDisk:
    target: str
    """The guest's device name: vdb, sdb."""
    path: str = ""
    """An existing file or volume on the host; "" with `new_volume` (or an empty CD-ROM)."""
    new_volume: NewVolume | None = None
    bus: DiskBus = "virtio"
    format: str = ""
    """The image format; "" reads it from the pool, else from the file name."""
    cdrom: bool = False
    """A CD-ROM drive (read-only, its medium can be changed later)."""


@dataclass(frozen=True, slots=True)
class DetachDisk:
    target: str


@dataclass(frozen=True, slots=True)
class AttachNic:
    kind: NicKind
    source: str = ""
    """The network's or bridge's name; "" for a user NIC."""
    model: str = "virtio"
    mac: str = ""
    """"" lets libvirt choose one."""


@dataclass(frozen=True, slots=True)
class DetachNic:
    mac: str


@dataclass(frozen=True, slots=True)
class ChangeMedia:
    """Insert an ISO into a CD-ROM drive, or eject it (`path` "")."""

    target: str
    path: str = ""


@dataclass(frozen=True, slots=True)
class SetBootOrder:
    order: tuple[str, ...]
    """Disk targets and NIC MAC addresses; the first boots first."""


@dataclass(frozen=True, slots=True)
class EditXml:
    """Define the operator's edit of the persistent domain XML."""

    xml: str
    base_sha256: str
    """The definition the edit started from: refused if it changed meanwhile."""
