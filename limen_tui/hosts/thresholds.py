"""Judging a host's health: per-metric verdicts, a bounded history, and an alert for a host
that stays critical.

A sample over a critical threshold is not yet an alert: a busy minute is normal on a
hypervisor. The alert comes when one metric has stayed critical for `alert_after_s` (five
minutes by default), is raised once, and clears when no metric is critical any more. The
clock is injectable so tests can pass five minutes in no time.
"""

from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from limen_tui.hosts.health import HealthSample


class Verdict(enum.Enum):
    OK = "ok"
    WARN = "warn"
    CRIT = "crit"
    UNKNOWN = "n/a"
    """The host did not say (first sample, missing file): neither fine nor critical."""


_RANK = {Verdict.UNKNOWN: 0, Verdict.OK: 1, Verdict.WARN: 2, Verdict.CRIT: 3}


def worst(verdicts: list[Verdict]) -> Verdict:
    return max(verdicts, key=_RANK.__getitem__, default=Verdict.UNKNOWN)


@dataclass(frozen=True, slots=True)
class Limits:
    """Percentages at or above which a metric is a warning / critical."""

    warn: float
    crit: float

    def judge(self, pct: float | None) -> Verdict:
        if pct is None:
            return Verdict.UNKNOWN
        if pct >= self.crit:
            return Verdict.CRIT
        return Verdict.WARN if pct >= self.warn else Verdict.OK


@dataclass(frozen=True, slots=True)
class Thresholds:
    memory: Limits = Limits(80.0, 90.0)
    cpu: Limits = Limits(85.0, 95.0)
    disk: Limits = Limits(90.0, 95.0)
    alert_after_s: float = 300.0
    """Seconds a metric must stay critical before the host is alerted on."""
    history: int = 100
    """Samples kept per host (for sparklines); older ones are dropped."""


@dataclass(frozen=True, slots=True)
class Verdicts:
    cpu: Verdict
    memory: Verdict
    disks: tuple[tuple[str, Verdict], ...]
    """(mount point, verdict) in the sample's order."""

    @property
    def disk(self) -> Verdict:
        return worst([v for _m, v in self.disks])

    @property
    def overall(self) -> Verdict:
        return worst([self.cpu, self.memory, self.disk])

    def by_metric(self) -> dict[str, Verdict]:
        """Metric names as alerts use them: cpu, memory, disk /var, ..."""
        named = {"cpu": self.cpu, "memory": self.memory}
        named.update({f"disk {mount}": v for mount, v in self.disks})
        return named


def judge(sample: HealthSample, thresholds: Thresholds) -> Verdicts:
    return Verdicts(
        cpu=thresholds.cpu.judge(sample.cpu_pct),
        memory=thresholds.memory.judge(sample.mem_pct),
        disks=tuple((d.mount, thresholds.disk.judge(d.pct)) for d in sample.disks),
    )


@dataclass(frozen=True, slots=True)
class Alert:
    metrics: tuple[str, ...]
    """Metrics that had been critical for at least the alert delay when it was raised."""
    since: float
    """Clock seconds since the earliest of them has been critical."""
    raised_at: float

    @property
    def summary(self) -> str:
        minutes = (self.raised_at - self.since) / 60
        return f"{', '.join(self.metrics)} critical for {minutes:.0f} min"


@dataclass(frozen=True, slots=True)
class Assessment:
    """What one sample changed: its verdicts, the alert standing after it, and whether this
    sample raised or cleared it (each happens once per episode)."""

    verdicts: Verdicts
    alert: Alert | None
    raised: bool = False
    cleared: Alert | None = None


@dataclass
class HealthTracker:
    """One host's verdicts over time. Not thread-safe: feed it from one loop."""

    thresholds: Thresholds = field(default_factory=Thresholds)
    clock: Callable[[], float] = time.monotonic
    history: deque[HealthSample] = field(init=False)
    alert: Alert | None = field(init=False, default=None)
    _critical_since: dict[str, float] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.history = deque(maxlen=self.thresholds.history)

    def observe(self, sample: HealthSample) -> Assessment:
        now = self.clock()
        self.history.append(sample)
        verdicts = judge(sample, self.thresholds)
        named = verdicts.by_metric()
        for metric in list(self._critical_since):
            if metric not in named:
                del self._critical_since[metric]  # a disk went away
        for metric, verdict in named.items():
            if verdict is Verdict.CRIT:
                self._critical_since.setdefault(metric, now)
            elif verdict is not Verdict.UNKNOWN:  # no news is not a recovery
                self._critical_since.pop(metric, None)
        if self.alert is not None and not self._critical_since:
            cleared, self.alert = self.alert, None
            return Assessment(verdicts, None, cleared=cleared)
        if self.alert is None:
            due = now - self.thresholds.alert_after_s
            overdue = {m: t for m, t in self._critical_since.items() if t <= due}
            if overdue:
                self.alert = Alert(tuple(sorted(overdue)), min(overdue.values()), now)
                return Assessment(verdicts, self.alert, raised=True)
        return Assessment(verdicts, self.alert)
