"""Turn one `getAllDomainStats` record into DomainCounters. Pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from limen_tui.model import DomainCounters, PowerState

# virDomainStatsTypes: only the groups the VM table needs. "All groups" costs about
# 60% more per running VM on QEMU (every group asks the monitor).
STATS_STATE = 1
STATS_CPU_TOTAL = 2
STATS_BALLOON = 4
STATS_VCPU = 8
STATS_INTERFACE = 16
STATS_BLOCK = 32
TABLE_GROUPS = (
    STATS_STATE | STATS_CPU_TOTAL | STATS_BALLOON | STATS_VCPU | STATS_INTERFACE | STATS_BLOCK
)


def _int(stats: Mapping[str, Any], key: str) -> int | None:
    value = stats.get(key)
    # `type(...) is int` keeps bools out and is the fastest check; this runs for every
    # counter of every VM on every tick.
    return value if type(value) is int else None


def _sum_indexed(stats: Mapping[str, Any], prefix: str, field: str) -> int | None:
    """Sum `prefix.N.field` over `prefix.count` devices; None when no device reports it."""
    count = _int(stats, f"{prefix}.count")
    if not count:
        return None
    total: int | None = None
    for i in range(count):
        if prefix == "block" and stats.get(f"block.{i}.backingIndex") is not None:
            continue  # backing-chain layers would count the same guest I/O twice
        value = _int(stats, f"{prefix}.{i}.{field}")
        if value is not None:
            total = (total or 0) + value
    return total


def parse_record(uuid: str, name: str, stats: Mapping[str, Any]) -> DomainCounters:
    """Read one domain's bulk stats; every missing key stays None (shown as n/a)."""
    return DomainCounters(
        uuid=uuid,
        name=name,
        state=PowerState.from_libvirt(_int(stats, "state.state") or 0),
        state_reason=_int(stats, "state.reason") or 0,
        cpu_time_ns=_int(stats, "cpu.time"),
        vcpus=_int(stats, "vcpu.current"),
        max_vcpus=_int(stats, "vcpu.maximum"),
        mem_current_kib=_int(stats, "balloon.current"),
        mem_max_kib=_int(stats, "balloon.maximum"),
        mem_rss_kib=_int(stats, "balloon.rss"),
        mem_usable_kib=_int(stats, "balloon.usable"),
        mem_available_kib=_int(stats, "balloon.available"),
        block_rd_bytes=_sum_indexed(stats, "block", "rd.bytes"),
        block_wr_bytes=_sum_indexed(stats, "block", "wr.bytes"),
        net_rx_bytes=_sum_indexed(stats, "net", "rx.bytes"),
        net_tx_bytes=_sum_indexed(stats, "net", "tx.bytes"),
    )
