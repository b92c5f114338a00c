"""Rates and percentages from two readings; n/a where they cannot be known."""

from __future__ import annotations

import pytest

from limen_tui.hosts.health import CpuTimes, RawReading, sample_from


def reading(clock: float, **kw: object) -> RawReading:
    return RawReading(clock=clock, time=1000.0 + clock, **kw)  # type: ignore[arg-type]


def test_cpu_percent_counts_iowait_as_idle_and_guest_once() -> None:
    # user nice system idle iowait irq softirq steal guest guest_nice
    a = CpuTimes.from_fields([100, 0, 0, 100, 0, 0, 0, 0, 50, 0])
    b = CpuTimes.from_fields([150, 0, 0, 125, 25, 0, 0, 0, 90, 0])
    s = sample_from(reading(0.0, cpu=a, cores=(a,)), reading(1.0, cpu=b, cores=(b,)))
    assert s.cpu_pct == pytest.approx(50.0)
    assert s.per_core[0] == pytest.approx(50.0)


def test_rates_per_device_and_counter_resets() -> None:
    a = reading(10.0, disk_bytes=(("sda", 0, 1000),), net_bytes=(("eth0", 5000, 100),))
    b = reading(
        12.0, disk_bytes=(("sda", 4000, 1000), ("sdb", 1, 1)), net_bytes=(("eth0", 10, 300),)
    )
    s = sample_from(a, b)
    assert s.interval_s == 2.0
    io = {d.device: d for d in s.disk_io}
    assert (io["sda"].read_bps, io["sda"].write_bps) == (2000.0, 0.0)
    assert (io["sdb"].read_bps, io["sdb"].write_bps) == (None, None)  # new device: n/a
    net = s.net[0]
    assert net.rx_bps is None and net.tx_bps == 100.0  # rx went backwards: reset, n/a


def test_a_clock_that_goes_back_gives_no_rates() -> None:
    # A remote host rebooted: its uptime (our clock for it) restarted.
    a = reading(5000.0, cpu=CpuTimes(10, 20), net_bytes=(("eth0", 1, 1),))
    b = reading(3.0, cpu=CpuTimes(1, 2), net_bytes=(("eth0", 2, 2),))
    s = sample_from(a, b)
    assert s.interval_s is None and s.cpu_pct is None and s.net[0].rx_bps is None


def test_core_count_change_gives_no_per_core_figures() -> None:
    a = reading(0.0, cores=(CpuTimes(0, 10),))
    b = reading(1.0, cores=(CpuTimes(5, 20), CpuTimes(0, 5)))
    assert sample_from(a, b).per_core == (None, None)
