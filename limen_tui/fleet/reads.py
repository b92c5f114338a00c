"""What the hosts screen and the create form read from one host: node, pools, networks.

Pools and networks come from the cache while fresh; the node's figures are always live.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import libvirt

from limen_tui.fleet.host_store import HostStore
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.host_info import (
    NetworkInfo,
    NodeStats,
    PoolInfo,
    networks,
    node_stats,
    storage_pools,
)


@dataclass(frozen=True, slots=True)
class HostOverview:
    node: NodeStats
    pools: list[PoolInfo]
    networks: list[NetworkInfo]


@dataclass(frozen=True, slots=True)
class NewVmChoices:
    """Active pools and networks, for the create form's lists."""

    pools: list[str]
    networks: list[str]


def read_choices(conn: libvirt.virConnect) -> NewVmChoices:
    pools = sorted(p.name() for p in conn.listAllStoragePools() if p.isActive())
    nets = sorted(n.name() for n in conn.listAllNetworks() if n.isActive())
    return NewVmChoices(pools, nets)


async def cached_lists(
    store: HostStore,
) -> tuple[list[PoolInfo] | None, list[NetworkInfo] | None]:
    pools, nets = await store.get("pools"), await store.get("networks")
    return (
        None if pools is None else [PoolInfo(**p) for p in pools],
        None if nets is None else [NetworkInfo(**n) for n in nets],
    )


def read_overview(
    conn: libvirt.virConnect,
    calls: CallCounter,
    pools: list[PoolInfo] | None,
    nets: list[NetworkInfo] | None,
) -> HostOverview:
    """Node stats always live; pools and networks live only when the cache had none."""
    return HostOverview(
        node_stats(conn, calls),
        storage_pools(conn, calls) if pools is None else pools,
        networks(conn, calls) if nets is None else nets,
    )


def keep_lists(
    store: HostStore, overview: HostOverview, pools_cached: bool, nets_cached: bool
) -> None:
    if not pools_cached:
        store.put("pools", [asdict(p) for p in overview.pools])
    if not nets_cached:
        store.put("networks", [asdict(n) for n in overview.networks])
