"""Plain, immutable facts about hosts and VMs. No I/O, no Textual."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Literal


class PowerState(enum.Enum):
    """A domain's run state, named as `virsh list` names it."""

    NOSTATE = "no state"
    RUNNING = "running"
    BLOCKED = "blocked"
    PAUSED = "paused"
    SHUTDOWN = "in shutdown"
    SHUTOFF = "shut off"
    CRASHED = "crashed"
    PMSUSPENDED = "pmsuspended"

    @classmethod
    def from_libvirt(cls, code: int) -> PowerState:
        return _STATE_BY_CODE.get(code, cls.NOSTATE)

    @property
    def is_active(self) -> bool:
        return self not in (PowerState.SHUTOFF, PowerState.CRASHED, PowerState.NOSTATE)


# virDomainState values, fixed by libvirt's ABI.
_STATE_BY_CODE = {
    0: PowerState.NOSTATE,
    1: PowerState.RUNNING,
    2: PowerState.BLOCKED,
    3: PowerState.PAUSED,
    4: PowerState.SHUTDOWN,
    5: PowerState.SHUTOFF,
    6: PowerState.CRASHED,
    7: PowerState.PMSUSPENDED,
}


class LinkState(enum.Enum):
    """What the console knows about its connection to a host."""

    CONNECTING = "connecting"
    LIVE = "live"
    STALE = "stale"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class DomainCounters:
    """One domain's raw counters from one bulk stats call. None means the driver did not say."""

    uuid: str
    name: str
    state: PowerState
    state_reason: int
    cpu_time_ns: int | None = None
    vcpus: int | None = None
    max_vcpus: int | None = None
    mem_current_kib: int | None = None
    mem_max_kib: int | None = None
    mem_rss_kib: int | None = None
    mem_usable_kib: int | None = None
    mem_available_kib: int | None = None
    block_rd_bytes: int | None = None
    block_wr_bytes: int | None = None
    net_rx_bytes: int | None = None
    net_tx_bytes: int | None = None
    block_rd_reqs: int | None = None
    block_wr_reqs: int | None = None
    vcpu_delay_ns: int | None = None
    """`vcpu.N.delay` summed: time the vCPUs were runnable but the host ran something else."""
    block_rd_times_ns: int | None = None
    block_wr_times_ns: int | None = None
    """`rd.times`/`wr.times` summed over the disks: time spent on completed requests."""
    net_rx_pkts: int | None = None
    net_tx_pkts: int | None = None
    net_rx_drop: int | None = None
    net_tx_drop: int | None = None


@dataclass(frozen=True, slots=True)
class DomainRow:
    """What the VM table shows for one domain: counters turned into rates. None shows as n/a."""

    host: str
    uuid: str
    name: str
    state: PowerState
    vcpus: int | None = None
    cpu_pct: float | None = None
    """CPU use as a percentage of the VM's own vCPUs (100% = all vCPUs busy)."""
    cpu_host_pct: float | None = None
    """CPU use as a percentage of the whole host."""
    mem_used_kib: int | None = None
    mem_current_kib: int | None = None
    mem_max_kib: int | None = None
    disk_rd_bps: float | None = None
    disk_wr_bps: float | None = None
    net_rx_bps: float | None = None
    net_tx_bps: float | None = None
    autostart: bool | None = None
    persistent: bool | None = None
    disk_rd_iops: float | None = None
    """Read requests per second, all disks of the VM together."""
    disk_wr_iops: float | None = None
    """Write requests per second, all disks of the VM together."""
    made_up: bool = False
    """The figures are the demo's own, not a hypervisor's (demo mode only)."""
    address: str | None = None
    """The guest's first IP address, from what its host already knows (DHCP lease, then the
    neighbour table), asked for rows on screen only: None not asked yet, "" none known."""
    address_source: str | None = None
    """Where `address` came from: "lease" or "arp"."""
    tags: tuple[str, ...] = ()
    """The operator's tags, kept in the domain's metadata under limen-tui's namespace."""
    os: str | None = None
    """The guest's OS when known (libosinfo's id in the domain metadata, or the agent)."""
    steal_pct: float | None = None
    """Steal: time the vCPUs waited, runnable, for a host CPU, in % of the VM's own vCPUs
    (100% = every vCPU waited the whole time)."""
    disk_latency_ms: float | None = None
    """Average time of a disk request completed in the interval, reads and writes together;
    None when none completed."""
    net_pps: float | None = None
    """Packets per second, received and sent, all NICs together."""
    net_drops_ps: float | None = None
    """Packets dropped per second, received and sent, all NICs together."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.host, self.uuid)

    def with_state(self, state: PowerState) -> DomainRow:
        if state.is_active:
            return replace(self, state=state)
        # A stopped VM uses no CPU, disk or network; its old rates would be a lie.
        return replace(
            self,
            state=state,
            cpu_pct=None,
            cpu_host_pct=None,
            disk_rd_bps=None,
            disk_wr_bps=None,
            disk_rd_iops=None,
            disk_wr_iops=None,
            net_rx_bps=None,
            net_tx_bps=None,
            mem_used_kib=None,
            steal_pct=None,
            disk_latency_ms=None,
            net_pps=None,
            net_drops_ps=None,
            address=None,
            address_source=None,
        )


@dataclass(frozen=True, slots=True)
class HostFacts:
    """Hardware and software facts read once at connect."""

    hostname: str
    hypervisor: str
    hypervisor_version: str
    libvirt_version: str
    cpu_model: str
    cpus: int
    mhz: int
    memory_kib: int
    numa_nodes: int
    sockets: int
    cores: int
    threads: int


@dataclass(frozen=True, slots=True)
class HostStatus:
    """A host's link state, facts and cost, as the header line shows it."""

    key: str
    uri: str
    state: LinkState
    reason: str = ""
    since: float = 0.0
    facts: HostFacts | None = None
    calls_last_tick: int | None = None
    refresh_ms: float | None = None
    domains: int = 0
    demo: bool = False
    readonly: bool = False
    last_known_at: float | None = None
    """When rows come from the cache (the last known fleet), the time they were saved."""


EventKind = Literal["lifecycle", "reboot", "agent", "job", "metadata", "device", "tray"]
"""Which of libvirt's domain event families an event belongs to."""


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """One event libvirt reported for a domain, in words."""

    time: float
    host: str
    uuid: str
    name: str
    kind: EventKind
    event: str
    reason: str = ""
    state: PowerState | None = None
    detail: dict[str, str] = field(default_factory=dict)


_UNITS = ("", "K", "M", "G", "T", "P")


def human_bytes(n: float) -> str:
    """4-5 cells: 512, 1.5K, 12M, 3.2G (powers of 1024, as `free -h` does)."""
    value = float(n)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            if unit == "":
                return f"{value:.0f}"
            return f"{value:.1f}{unit}" if abs(value) < 10 else f"{value:.0f}{unit}"
        value /= 1024
    raise AssertionError("unreachable")
