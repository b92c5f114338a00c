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


def _sums_indexed(
    stats: Mapping[str, Any], prefix: str, fields: tuple[str, ...]
) -> list[int | None]:
    """Each `prefix.N.field` summed over `prefix.count` devices, in one pass; None where no
    device reports it."""
    totals: list[int | None] = [None] * len(fields)
    count = _int(stats, f"{prefix}.count")
    for i in range(count or 0):
        for f, field in enumerate(fields):
            value = _int(stats, f"{prefix}.{i}.{field}")
            if value is not None:
                totals[f] = (totals[f] or 0) + value
    return totals


def _vcpu_sum(stats: Mapping[str, Any], field: str) -> int | None:
    """`vcpu.N.field` summed over the vCPUs libvirt lists (up to `vcpu.maximum`: an offline
    vCPU has no entry); None when none reports it."""
    total: int | None = None
    for i in range(_int(stats, "vcpu.maximum") or 0):
        value = _int(stats, f"vcpu.{i}.{field}")
        if value is not None:
            total = (total or 0) + value
    return total


NET_FIELDS = ("rx.bytes", "tx.bytes", "rx.pkts", "tx.pkts", "rx.drop", "tx.drop")


BLOCK_FIELDS = ("rd.bytes", "wr.bytes", "rd.reqs", "wr.reqs", "rd.times", "wr.times")


def _block_sums(stats: Mapping[str, Any]) -> list[int | None]:
    """`BLOCK_FIELDS` summed over the top layer of every disk; None where no disk reports one.

    On QEMU every entry carries `block.N.backingIndex` (the index of its `<source>` in the
    domain XML), top layers included, so that key says nothing about being a backing file.
    Only when asked with VIR_CONNECT_GET_ALL_DOMAINS_STATS_BACKING does libvirt list a disk's
    backing chain, top first, every layer under the disk's name: an entry whose name (or, with
    no name, path) an earlier entry had is a backing layer, and counting it would count the
    guest's I/O twice.
    """
    totals: list[int | None] = [None] * len(BLOCK_FIELDS)
    count = _int(stats, "block.count")
    if not count:
        return totals
    seen: set[object] = set()
    for i in range(count):
        disk = stats.get(f"block.{i}.name") or stats.get(f"block.{i}.path")
        if disk is not None:
            if disk in seen:
                continue
            seen.add(disk)
        for f, field in enumerate(BLOCK_FIELDS):
            value = _int(stats, f"block.{i}.{field}")
            if value is not None:
                totals[f] = (totals[f] or 0) + value
    return totals


def parse_record(uuid: str, name: str, stats: Mapping[str, Any]) -> DomainCounters:
    """Read one domain's bulk stats; every missing key stays None (shown as n/a)."""
    rd_bytes, wr_bytes, rd_reqs, wr_reqs, rd_times, wr_times = _block_sums(stats)
    rx_bytes, tx_bytes, rx_pkts, tx_pkts, rx_drop, tx_drop = _sums_indexed(stats, "net", NET_FIELDS)
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
        block_rd_bytes=rd_bytes,
        block_wr_bytes=wr_bytes,
        net_rx_bytes=rx_bytes,
        net_tx_bytes=tx_bytes,
        block_rd_reqs=rd_reqs,
        block_wr_reqs=wr_reqs,
        vcpu_delay_ns=_vcpu_sum(stats, "delay"),
        block_rd_times_ns=rd_times,
        block_wr_times_ns=wr_times,
        net_rx_pkts=rx_pkts,
        net_tx_pkts=tx_pkts,
        net_rx_drop=rx_drop,
        net_tx_drop=tx_drop,
    )
