"""What libvirt knows about a host beyond its VMs: node stats, storage pools, networks, leases.

Blocking: run in the host's workers. A call the driver does not support gives None ("n/a").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libvirt

from limen_tui.virt.calls import CallCounter

POOL_STATES = {0: "inactive", 1: "building", 2: "running", 3: "degraded", 4: "inaccessible"}


@dataclass(frozen=True, slots=True)
class PoolInfo:
    name: str
    state: str
    capacity: int
    allocation: int
    available: int
    autostart: bool


@dataclass(frozen=True, slots=True)
class NetworkInfo:
    name: str
    active: bool
    bridge: str | None
    autostart: bool
    leases: list[str] = field(default_factory=list)
    """`ipaddr/prefix mac hostname` per DHCP lease; empty where the driver has none."""


@dataclass(frozen=True, slots=True)
class NodeStats:
    cpu: dict[str, int] | None
    """Cumulative CPU times (ns) by kind: kernel, user, idle, iowait; None if unsupported."""
    memory: dict[str, int] | None
    """KiB: total, free, buffers, cached; None if unsupported (the test driver)."""


def _supported(exc: libvirt.libvirtError) -> bool:
    return exc.get_error_code() not in (libvirt.VIR_ERR_NO_SUPPORT, libvirt.VIR_ERR_INVALID_ARG)


def node_stats(conn: libvirt.virConnect, calls: CallCounter) -> NodeStats:
    cpu: dict[str, int] | None
    memory: dict[str, int] | None
    calls.record("getCPUStats")
    try:
        cpu = {k: int(v) for k, v in conn.getCPUStats(-1, 0).items()}
    except libvirt.libvirtError as exc:
        if _supported(exc):
            raise
        cpu = None
    calls.record("getMemoryStats")
    try:
        memory = {k: int(v) for k, v in conn.getMemoryStats(-1, 0).items()}
    except libvirt.libvirtError as exc:
        if _supported(exc):
            raise
        memory = None
    return NodeStats(cpu, memory)


def storage_pools(conn: libvirt.virConnect, calls: CallCounter) -> list[PoolInfo]:
    calls.record("listAllStoragePools")
    out = []
    for pool in conn.listAllStoragePools(0):
        calls.record("storagePoolInfo")
        state, capacity, allocation, available = pool.info()
        out.append(
            PoolInfo(
                pool.name(),
                POOL_STATES.get(state, str(state)),
                capacity,
                allocation,
                available,
                bool(pool.autostart()),
            )
        )
    return sorted(out, key=lambda p: p.name)


def networks(conn: libvirt.virConnect, calls: CallCounter) -> list[NetworkInfo]:
    calls.record("listAllNetworks")
    out = []
    for net in conn.listAllNetworks(0):
        active = bool(net.isActive())
        try:
            bridge: str | None = net.bridgeName()
        except libvirt.libvirtError:
            bridge = None
        leases: list[str] = []
        if active:
            calls.record("networkDHCPLeases")
            try:
                for lease in net.DHCPLeases():
                    leases.append(
                        f"{lease.get('ipaddr')}/{lease.get('prefix')} {lease.get('mac')} "
                        f"{lease.get('hostname') or ''}".rstrip()
                    )
            except libvirt.libvirtError:
                pass  # drivers without a DHCP server (or the test driver) have no leases
        out.append(NetworkInfo(net.name(), active, bridge, bool(net.autostart()), leases))
    return sorted(out, key=lambda n: n.name)
