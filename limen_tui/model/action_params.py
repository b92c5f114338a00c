"""Typed parameters of each action: what the operator chose, checked by mypy, kept in the audit.

Pure data, no libvirt. `as_record()` gives what the audit log stores.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

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
)


def as_record(params: ActionParams) -> dict[str, Any]:
    """The parameters as the audit log keeps them (a create's spec flattened, as before)."""
    if isinstance(params, CreateVm):
        return {**asdict(params.spec), "start": params.start}
    return asdict(params)
