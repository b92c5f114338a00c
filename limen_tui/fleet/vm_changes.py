"""Operations on a host rather than on an existing VM: create and clone, as transactions.

Each returns the operation to show and audit, and the blocking work (virt/provision.py and
virt/clone.py roll libvirt back on failure) that the host's runner runs in a worker.
"""

from __future__ import annotations

from collections.abc import Callable

import libvirt

from limen_tui.fleet.operations import Operation
from limen_tui.model import DomainRow
from limen_tui.model.action_params import CloneVm, CreateVm
from limen_tui.model.vm_spec import VmSpec
from limen_tui.virt.clone import clone_vm
from limen_tui.virt.provision import create_vm

Work = Callable[[libvirt.virConnect], str]


def create_operation(host: str, spec: VmSpec, start: bool) -> tuple[Operation, Work]:
    op = Operation.new(host, "", spec.name, "create", CreateVm(spec, start))

    def work(conn: libvirt.virConnect) -> str:
        result = create_vm(conn, spec, start=start)
        return f"created ({result.domain_type})" + (" and started" if result.started else "")

    return op, work


def clone_operation(host: str, row: DomainRow, new_name: str) -> tuple[Operation, Work]:
    op = Operation.new(host, row.uuid, row.name, "clone", CloneVm(new_name))

    def work(conn: libvirt.virConnect) -> str:
        result = clone_vm(conn, row.name, new_name)
        return f"cloned as {result.name} ({len(result.volume_paths)} disk(s) copied)"

    return op, work
