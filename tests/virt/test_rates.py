"""Rates from two ticks: CPU % of the VM's vCPUs and of the host, bytes per second, resets."""

from __future__ import annotations

from dataclasses import replace

import pytest

from limen_tui.model import DomainCounters, PowerState
from limen_tui.virt.rates import domain_row, memory_used_kib, per_second


def counters(**kw: object) -> DomainCounters:
    base: dict[str, object] = {
        "uuid": "u",
        "name": "vm",
        "state": PowerState.RUNNING,
        "state_reason": 1,
    }
    base.update(kw)
    return DomainCounters(**base)  # type: ignore[arg-type]


def test_one_busy_vcpu_of_two_is_fifty_percent_of_the_vm() -> None:
    before = counters(cpu_time_ns=10_000_000_000, vcpus=2)
    after = counters(cpu_time_ns=12_000_000_000, vcpus=2)
    row = domain_row("h", after, before, seconds=2.0, host_cpus=8)
    assert row.cpu_pct == pytest.approx(50.0)
    assert row.cpu_host_pct == pytest.approx(12.5)


def test_byte_rates_are_deltas_over_wall_time() -> None:
    before = counters(block_rd_bytes=1000, block_wr_bytes=0, net_rx_bytes=0, net_tx_bytes=10)
    after = counters(block_rd_bytes=5000, block_wr_bytes=2048, net_rx_bytes=300, net_tx_bytes=10)
    row = domain_row("h", after, before, seconds=4.0, host_cpus=4)
    assert row.disk_rd_bps == pytest.approx(1000.0)
    assert row.disk_wr_bps == pytest.approx(512.0)
    assert row.net_rx_bps == pytest.approx(75.0)
    assert row.net_tx_bps == pytest.approx(0.0)


def test_iops_are_request_deltas_over_wall_time() -> None:
    before = counters(block_rd_reqs=100, block_wr_reqs=7)
    after = counters(block_rd_reqs=400, block_wr_reqs=7)
    row = domain_row("h", after, before, seconds=3.0, host_cpus=4)
    assert row.disk_rd_iops == pytest.approx(100.0)
    assert row.disk_wr_iops == pytest.approx(0.0)


def test_a_stopped_vm_shows_no_iops() -> None:
    before = counters(block_rd_reqs=0, block_wr_reqs=0)
    after = counters(state=PowerState.SHUTOFF, block_rd_reqs=50, block_wr_reqs=50)
    row = domain_row("h", after, before, 1.0, 4)
    assert row.disk_rd_iops is None and row.disk_wr_iops is None
    running = domain_row("h", counters(block_rd_reqs=50), counters(block_rd_reqs=0), 1.0, 4)
    assert running.with_state(PowerState.SHUTOFF).disk_rd_iops is None


def test_first_sample_has_no_rates() -> None:
    row = domain_row("h", counters(cpu_time_ns=5, vcpus=1, block_rd_bytes=9), None, 1.0, 4)
    assert row.cpu_pct is None
    assert row.disk_rd_bps is None


def test_a_counter_that_went_back_means_restart_and_gives_no_rate() -> None:
    assert per_second(10_000, 50, 1.0) is None
    row = domain_row(
        "h", counters(cpu_time_ns=100, vcpus=1), counters(cpu_time_ns=9_000_000), 1.0, 4
    )
    assert row.cpu_pct is None


def test_a_stopped_vm_shows_no_rates_even_if_counters_moved() -> None:
    before = counters(cpu_time_ns=1, block_rd_bytes=0)
    after = counters(state=PowerState.SHUTOFF, cpu_time_ns=9_000_000_000, block_rd_bytes=10**9)
    row = domain_row("h", after, before, 1.0, 4)
    assert row.cpu_pct is None and row.disk_rd_bps is None and row.mem_used_kib is None


def test_unknown_counters_stay_unknown() -> None:
    row = domain_row("h", counters(), counters(), 1.0, None)
    assert row.cpu_pct is None and row.net_rx_bps is None and row.vcpus is None


def test_hints_fill_in_definition_facts_the_driver_does_not_report() -> None:
    row = domain_row("h", counters(), None, 1.0, 4, vcpus_hint=4, mem_max_hint_kib=1024)
    assert (row.vcpus, row.mem_max_kib) == (4, 1024)


def test_memory_used_prefers_guest_view_over_rss() -> None:
    assert memory_used_kib(counters(mem_rss_kib=500)) == 500
    guest = counters(mem_rss_kib=500, mem_available_kib=4000, mem_usable_kib=1000)
    assert memory_used_kib(guest) == 3000


def test_zero_or_negative_interval_gives_no_rate() -> None:
    assert per_second(0, 10, 0.0) is None


def test_steal_is_delay_per_second_over_the_vms_vcpus() -> None:
    before = counters(vcpus=2, vcpu_delay_ns=1_000_000_000)
    after = counters(vcpus=2, vcpu_delay_ns=2_000_000_000)
    # 1 s of waiting over 2 s on 2 vCPUs: a quarter of the vCPUs' time was stolen
    assert domain_row("h", after, before, 2.0, 8).steal_pct == pytest.approx(25.0)


def test_disk_latency_is_time_per_request_completed_in_the_interval() -> None:
    before = counters(
        block_rd_reqs=100, block_wr_reqs=10, block_rd_times_ns=10**9, block_wr_times_ns=10**9
    )
    after = counters(
        block_rd_reqs=106,
        block_wr_reqs=14,
        block_rd_times_ns=10**9 + 6_000_000,
        block_wr_times_ns=10**9 + 24_000_000,
    )
    # 30 ms over 10 requests, however long the interval
    assert domain_row("h", after, before, 2.0, 4).disk_latency_ms == pytest.approx(3.0)
    assert domain_row("h", after, before, 7.0, 4).disk_latency_ms == pytest.approx(3.0)


def test_no_request_in_the_interval_has_no_latency_not_zero() -> None:
    idle = counters(
        block_rd_reqs=5, block_wr_reqs=5, block_rd_times_ns=10**6, block_wr_times_ns=10**6
    )
    row = domain_row("h", idle, idle, 2.0, 4)
    assert row.disk_latency_ms is None
    assert row.disk_rd_iops == 0.0  # the disk is known, it was idle


def test_packets_and_drops_per_second_add_both_directions() -> None:
    before = counters(net_rx_pkts=100, net_tx_pkts=50, net_rx_drop=0, net_tx_drop=1)
    after = counters(net_rx_pkts=500, net_tx_pkts=250, net_rx_drop=6, net_tx_drop=3)
    row = domain_row("h", after, before, 2.0, 4)
    assert row.net_pps == pytest.approx(300.0)
    assert row.net_drops_ps == pytest.approx(4.0)


def test_counters_that_went_back_give_no_steal_latency_or_packets() -> None:
    before = counters(
        vcpus=1,
        vcpu_delay_ns=9_000_000_000,
        block_rd_reqs=1000,
        block_wr_reqs=1000,
        block_rd_times_ns=10**10,
        block_wr_times_ns=10**10,
        net_rx_pkts=10**6,
        net_tx_pkts=10**6,
        net_rx_drop=50,
        net_tx_drop=50,
    )
    after = counters(  # the VM restarted: every counter began again
        vcpus=1,
        vcpu_delay_ns=1000,
        block_rd_reqs=3,
        block_wr_reqs=2,
        block_rd_times_ns=5000,
        block_wr_times_ns=5000,
        net_rx_pkts=10,
        net_tx_pkts=10,
        net_rx_drop=0,
        net_tx_drop=0,
    )
    row = domain_row("h", after, before, 1.0, 4)
    assert row.steal_pct is None
    assert row.disk_latency_ms is None
    assert row.net_pps is None and row.net_drops_ps is None


def test_a_stopped_vm_shows_no_steal_latency_packets_or_drops() -> None:
    before = counters(
        vcpus=1,
        vcpu_delay_ns=0,
        block_rd_reqs=0,
        block_wr_reqs=0,
        block_rd_times_ns=0,
        block_wr_times_ns=0,
        net_rx_pkts=0,
        net_tx_pkts=0,
        net_rx_drop=0,
        net_tx_drop=0,
    )
    after = replace(
        before,
        vcpu_delay_ns=10**9,
        block_rd_reqs=10,
        block_rd_times_ns=10**7,
        net_rx_pkts=100,
        net_rx_drop=1,
    )
    running = domain_row("h", after, before, 1.0, 4)
    assert None not in (
        running.steal_pct,
        running.disk_latency_ms,
        running.net_pps,
        running.net_drops_ps,
    )
    for row in (
        running.with_state(PowerState.SHUTOFF),
        domain_row("h", replace(after, state=PowerState.SHUTOFF), before, 1.0, 4),
    ):
        assert (row.steal_pct, row.disk_latency_ms, row.net_pps, row.net_drops_ps) == (
            None,
            None,
            None,
            None,
        )
