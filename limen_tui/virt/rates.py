"""Rates from two samples of counters. Pure functions, no I/O."""

from __future__ import annotations

from limen_tui.model import DomainCounters, DomainRow


def per_second(before: int | None, after: int | None, seconds: float) -> float | None:
    """Counter delta per second; None when unknown or when the counter went back (VM restarted)."""
    if before is None or after is None or seconds <= 0 or after < before:
        return None
    return (after - before) / seconds


def _delta(before: int | None, after: int | None) -> int | None:
    return None if before is None or after is None or after < before else after - before


def _both(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a + b


def latency_ms(before: DomainCounters, now: DomainCounters) -> float | None:
    """Average time of the disk requests completed between two samples, reads and writes
    together; None when none completed (an idle disk has no latency, not a zero one) or a
    counter went back."""
    reqs = _delta(
        _both(before.block_rd_reqs, before.block_wr_reqs),
        _both(now.block_rd_reqs, now.block_wr_reqs),
    )
    times = _delta(
        _both(before.block_rd_times_ns, before.block_wr_times_ns),
        _both(now.block_rd_times_ns, now.block_wr_times_ns),
    )
    if not reqs or times is None:
        return None
    return times / reqs / 1e6


def memory_used_kib(c: DomainCounters) -> int | None:
    """Memory the guest really uses: guest-reported when the balloon driver says, else host RSS."""
    if c.mem_available_kib is not None and c.mem_usable_kib is not None:
        return max(c.mem_available_kib - c.mem_usable_kib, 0)
    return c.mem_rss_kib


def domain_row(
    host: str,
    now: DomainCounters,
    before: DomainCounters | None,
    seconds: float,
    host_cpus: int | None,
    *,
    autostart: bool | None = None,
    persistent: bool | None = None,
    vcpus_hint: int | None = None,
    mem_max_hint_kib: int | None = None,
) -> DomainRow:
    """One table row: counters of this tick against the last, over `seconds` of wall time."""
    vcpus = now.vcpus if now.vcpus is not None else vcpus_hint
    cpu_pct = cpu_host_pct = steal_pct = disk_latency_ms = None
    active = now.state.is_active
    if active and before is not None:
        ns_per_s = per_second(before.cpu_time_ns, now.cpu_time_ns, seconds)
        if ns_per_s is not None:
            if vcpus:
                cpu_pct = ns_per_s / 1e9 / vcpus * 100.0
            if host_cpus:
                cpu_host_pct = ns_per_s / 1e9 / host_cpus * 100.0
        delay_per_s = per_second(before.vcpu_delay_ns, now.vcpu_delay_ns, seconds)
        if delay_per_s is not None and vcpus:
            steal_pct = delay_per_s / 1e9 / vcpus * 100.0
        disk_latency_ms = latency_ms(before, now)

    def rate(field: str) -> float | None:
        if not active or before is None:
            return None
        return per_second(getattr(before, field), getattr(now, field), seconds)

    def rate2(a: str, b: str) -> float | None:
        """Two directions together: unknown only when neither is known."""
        ra, rb = rate(a), rate(b)
        return None if ra is None and rb is None else (ra or 0.0) + (rb or 0.0)

    return DomainRow(
        host=host,
        uuid=now.uuid,
        name=now.name,
        state=now.state,
        vcpus=vcpus,
        cpu_pct=cpu_pct,
        cpu_host_pct=cpu_host_pct,
        mem_used_kib=memory_used_kib(now) if active else None,
        mem_current_kib=now.mem_current_kib,
        mem_max_kib=now.mem_max_kib if now.mem_max_kib is not None else mem_max_hint_kib,
        disk_rd_bps=rate("block_rd_bytes"),
        disk_wr_bps=rate("block_wr_bytes"),
        disk_rd_iops=rate("block_rd_reqs"),
        disk_wr_iops=rate("block_wr_reqs"),
        net_rx_bps=rate("net_rx_bytes"),
        net_tx_bps=rate("net_tx_bytes"),
        autostart=autostart,
        persistent=persistent,
        steal_pct=steal_pct,
        disk_latency_ms=disk_latency_ms,
        net_pps=rate2("net_rx_pkts", "net_tx_pkts"),
        net_drops_ps=rate2("net_rx_drop", "net_tx_drop"),
    )
