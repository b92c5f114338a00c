"""Verdicts, bounded history and the five-minute alert, with a fake clock."""

from __future__ import annotations

from dataclasses import replace

from limen_tui.hosts.health import HealthSample, disk_usage
from limen_tui.hosts.thresholds import HealthTracker, Limits, Thresholds, Verdict, judge

GIB = 1 << 30


def sample(cpu: float | None = 10.0, mem: float | None = 10.0, disk: float = 10.0) -> HealthSample:
    return HealthSample(
        time=0.0,
        interval_s=2.0,
        cpu_pct=cpu,
        per_core=(),
        mem_used=None,
        mem_total=None,
        mem_pct=mem,
        swap_used=None,
        swap_total=None,
        swap_pct=None,
        load1=None,
        load5=None,
        load15=None,
        uptime_s=None,
        disks=(disk_usage("/", "/dev/sda1", int(disk), 100, int(100 - disk)),),
        disk_io=(),
        net=(),
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_default_limits_are_the_documented_ones() -> None:
    t = Thresholds()
    assert (t.memory, t.cpu, t.disk) == (Limits(80, 90), Limits(85, 95), Limits(90, 95))
    assert t.alert_after_s == 300 and t.history == 100


def test_verdicts_at_the_edges() -> None:
    t = Thresholds()
    assert judge(sample(cpu=84.9), t).cpu is Verdict.OK
    assert judge(sample(cpu=85.0), t).cpu is Verdict.WARN
    assert judge(sample(cpu=95.0), t).cpu is Verdict.CRIT
    assert judge(sample(mem=80.0), t).memory is Verdict.WARN
    assert judge(sample(mem=90.0), t).memory is Verdict.CRIT
    assert judge(sample(disk=90.0), t).disk is Verdict.WARN
    assert judge(sample(disk=96.0), t).overall is Verdict.CRIT
    assert judge(sample(cpu=None), t).cpu is Verdict.UNKNOWN


def test_history_is_bounded() -> None:
    tracker = HealthTracker(replace(Thresholds(), history=5))
    for _ in range(12):
        tracker.observe(sample())
    assert len(tracker.history) == 5


def test_alert_after_five_minutes_critical_raised_once_cleared_on_recovery() -> None:
    clock = FakeClock()
    tracker = HealthTracker(Thresholds(), clock)
    seen = tracker.observe(sample(mem=95.0))
    assert seen.verdicts.memory is Verdict.CRIT and seen.alert is None
    raised = 0
    for _ in range(149):  # 298 s of critical samples, every 2 s
        clock.now += 2.0
        seen = tracker.observe(sample(mem=95.0))
        assert seen.alert is None
    clock.now += 2.0  # 300 s
    seen = tracker.observe(sample(mem=95.0))
    assert seen.raised and seen.alert is not None
    assert seen.alert.metrics == ("memory",) and seen.alert.since == 0.0
    assert seen.alert.summary == "memory critical for 5 min"
    alert = seen.alert
    for _ in range(10):
        clock.now += 2.0
        seen = tracker.observe(sample(mem=95.0))
        raised += seen.raised
        assert seen.alert is alert  # the same alert stands
    assert raised == 0
    clock.now += 2.0
    seen = tracker.observe(sample(mem=50.0))
    assert seen.cleared is alert and seen.alert is None and tracker.alert is None
    clock.now += 2.0
    assert tracker.observe(sample(mem=50.0)).cleared is None  # cleared once


def test_a_dip_below_critical_restarts_the_wait() -> None:
    clock = FakeClock()
    tracker = HealthTracker(Thresholds(), clock)
    tracker.observe(sample(cpu=99.0))
    clock.now = 200.0
    tracker.observe(sample(cpu=50.0))  # recovered for a moment
    clock.now = 210.0
    tracker.observe(sample(cpu=99.0))
    clock.now = 400.0
    assert tracker.observe(sample(cpu=99.0)).alert is None  # only 190 s this time
    clock.now = 510.0
    assert tracker.observe(sample(cpu=99.0)).raised


def test_an_unknown_value_is_no_recovery() -> None:
    clock = FakeClock()
    tracker = HealthTracker(Thresholds(alert_after_s=60.0), clock)
    tracker.observe(sample(cpu=99.0))
    clock.now = 30.0
    tracker.observe(sample(cpu=None))  # e.g. the first sample after a reconnect
    clock.now = 60.0
    seen = tracker.observe(sample(cpu=99.0))
    assert seen.raised and seen.alert is not None and seen.alert.metrics == ("cpu",)


def test_metrics_critical_at_different_times_do_not_add_up() -> None:
    clock = FakeClock()
    tracker = HealthTracker(Thresholds(alert_after_s=60.0), clock)
    tracker.observe(sample(cpu=99.0))
    clock.now = 40.0
    tracker.observe(sample(cpu=10.0, disk=99.0))
    clock.now = 80.0
    assert tracker.observe(sample(cpu=10.0, disk=99.0)).alert is None
    clock.now = 100.0
    seen = tracker.observe(sample(cpu=10.0, disk=99.0))
    assert seen.raised and seen.alert is not None and seen.alert.metrics == ("disk /",)
