"""A host's storage pools, volumes and networks: what their screens read, and every change as
an operation of the host's action runner (the same pane, the same audit log as VM actions).

A base of `Host` (host.py), beside HostReads. Reads are always live (these screens show what
the operator is about to change); each runs in the host's workers.
"""

from __future__ import annotations

from limen_tui.fleet.host_reads import HostReads
from limen_tui.fleet.operations import Operation
from limen_tui.fleet.registry import RESOURCE_ACTIONS, ResourceActionId
from limen_tui.fleet.runner import ActionRunner
from limen_tui.model.action_params import (
    CloneVolume,
    CreateVolume,
    DefinePool,
    NetworkAutostart,
    OnNetwork,
    OnPool,
    OnVolume,
    PinAddress,
    PoolAutostart,
    ResizeVolume,
)
from limen_tui.model.networks import Lease, Network
from limen_tui.model.storage import Pool, Volume
from limen_tui.virt.networks import read_leases, read_networks
from limen_tui.virt.resource_actions import CHANGES
from limen_tui.virt.storage import read_pools, read_volumes

ResourceParams = (
    OnPool
    | PoolAutostart
    | DefinePool
    | CreateVolume
    | ResizeVolume
    | CloneVolume
    | OnVolume
    | OnNetwork
    | NetworkAutostart
    | PinAddress
)


def target(params: ResourceParams) -> str:
    """What the operations pane and the audit log name as the thing changed."""
    if isinstance(params, OnPool | PoolAutostart | DefinePool):
        return f"pool {params.pool}"
    if isinstance(params, CreateVolume | ResizeVolume | CloneVolume | OnVolume):
        return f"{params.pool}/{params.name}"
    return f"net {params.network}"


class HostResources(HostReads):
    runner: ActionRunner

    async def pools(self) -> list[Pool]:
        calls = self.calls
        return await self.on_host(lambda conn: read_pools(conn, calls))

    async def volumes(self, pool: str) -> list[Volume]:
        calls = self.calls
        return await self.on_host(lambda conn: read_volumes(conn, pool, calls))

    async def networks(self) -> list[Network]:
        calls = self.calls
        return await self.on_host(lambda conn: read_networks(conn, calls))

    async def leases(self, network: str) -> list[Lease]:
        calls = self.calls
        return await self.on_host(lambda conn: read_leases(conn, network, calls))

    async def change(self, action: ResourceActionId, params: ResourceParams) -> Operation:
        """Run one storage or network action as an operation; it ends succeeded only when
        libvirt confirmed it (its event, or reading it back where libvirt has no event)."""
        spec = RESOURCE_ACTIONS[action]
        op = Operation.new(self.key, "", target(params), spec.id, params)
        return await self.runner.perform_change(op, CHANGES[spec.id](params))
