"""Local sampling with psutil, for real."""

from __future__ import annotations

import time

import psutil

from limen_tui.hosts.local import LocalSampler


def test_first_sample_primes_then_rates_appear() -> None:
    sampler = LocalSampler()
    first = sampler.sample()
    assert first.cpu_pct is None and first.interval_s is None
    assert all(c is None for c in first.per_core)
    assert first.mem_total == psutil.virtual_memory().total
    assert first.mem_pct is not None and 0 < first.mem_pct < 100
    assert first.load1 is not None and first.uptime_s is not None and first.uptime_s > 0
    assert first.disks, "a machine with no mounted disk?"
    assert all(d.device.startswith("/") or d.mount for d in first.disks)
    time.sleep(0.2)
    second = sampler.sample()
    assert second.interval_s is not None and second.interval_s > 0
    assert second.cpu_pct is not None and 0.0 <= second.cpu_pct <= 100.0
    assert len(second.per_core) == psutil.cpu_count()
    # Devices seen in both samples have rates (a VM's vnet may appear between two: n/a).
    old_disks = {d.device for d in first.disk_io}
    assert all(io.read_bps is not None for io in second.disk_io if io.device in old_disks)
    old_nics = {n.interface for n in first.net}
    assert all(n.rx_bps is not None for n in second.net if n.interface in old_nics)
    assert all(n.interface != "lo" for n in second.net)


def test_sampling_never_sleeps() -> None:
    sampler = LocalSampler()
    sampler.sample()
    started = time.perf_counter()
    for _ in range(10):
        sampler.sample()
    assert (time.perf_counter() - started) / 10 < 0.05  # psutil's interval=1.0 would be 1 s


def test_two_samplers_do_not_steal_each_others_interval() -> None:
    a, b = LocalSampler(), LocalSampler()
    a.sample()
    b.sample()
    time.sleep(0.05)
    b.sample()
    s = a.sample()
    assert s.interval_s is not None and s.interval_s >= 0.05
