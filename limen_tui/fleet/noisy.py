"""Which VM is hurting this host: VMs ranked by their share of it, and noisy episodes. Pure.

A VM becomes noisy when a figure stays above its threshold for `hold_s` seconds; the episode is
reported once when it begins and once when it ends. It ends only after `clear_samples`
samples in a row below the threshold (hysteresis: a single quiet sample ends nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from limen_tui.model import DomainRow, human_bytes

Metric = Literal[
    "cpu",
    "steal",
    "disk_iops",
    "disk_bytes",
    "disk_latency",
    "net_bytes",
    "net_packets",
    "net_drops",
]
"""What a VM is ranked by: its share of the host's CPU (cores used / host cores, in %), steal
(% of its own vCPUs' time spent waiting for a host CPU), disk requests/s, disk bytes/s, disk
latency (ms per request), network bytes/s, packets/s, drops/s (both directions together)."""

FIGURES: Mapping[Metric, Callable[[DomainRow], float | None]] = {
    "cpu": lambda r: r.cpu_host_pct,
    "steal": lambda r: r.steal_pct,
    "disk_iops": lambda r: _sum(r.disk_rd_iops, r.disk_wr_iops),
    "disk_bytes": lambda r: _sum(r.disk_rd_bps, r.disk_wr_bps),
    "disk_latency": lambda r: r.disk_latency_ms,
    "net_bytes": lambda r: _sum(r.net_rx_bps, r.net_tx_bps),
    "net_packets": lambda r: r.net_pps,
    "net_drops": lambda r: r.net_drops_ps,
}


_SAID: Mapping[Metric, Callable[[float], str]] = {
    "cpu": lambda v: f"{v:.0f}% of the host's CPU",
    "steal": lambda v: f"{v:.0f}% steal (vCPUs waiting for a host CPU)",
    "disk_iops": lambda v: f"{v:.0f} disk requests/s",
    "disk_bytes": lambda v: f"{human_bytes(v)}B/s of disk",
    "disk_latency": lambda v: f"{v:.1f} ms per disk request",
    "net_bytes": lambda v: f"{human_bytes(v)}B/s of network",
    "net_packets": lambda v: f"{v:.0f} packets/s",
    "net_drops": lambda v: f"{v:.0f} drops/s",
}


def said(metric: Metric, value: float) -> str:
    """A figure in words for the event log: "63% of the host's CPU", "12.3 ms per disk
    request"."""
    return _SAID[metric](value)


def _sum(a: float | None, b: float | None) -> float | None:
    return None if a is None and b is None else (a or 0.0) + (b or 0.0)


def rank(
    rows: Iterable[DomainRow], metric: Metric, *, host: str | None = None, limit: int = 20
) -> list[tuple[DomainRow, float]]:
    """The `limit` VMs highest on `metric` (of one host, or all), highest first; VMs with no
    figure are left out. Only when the view asks: it costs the fleet's size."""
    figure = FIGURES[metric]
    ranked = [
        (row, value)
        for row in rows
        if (host is None or row.host == host) and (value := figure(row)) is not None
    ]
    ranked.sort(key=lambda pair: (-pair[1], pair[0].name))
    return ranked[:limit]


@dataclass(frozen=True, slots=True)
class NoisyRule:
    metric: Metric = "cpu"
    threshold: float = 50.0
    """Above this a sample is loud (for cpu: % of the whole host)."""
    hold_s: float = 60.0
    """How long samples must stay loud before an episode begins."""
    clear_samples: int = 3
    """Quiet samples in a row that end an episode."""


@dataclass(frozen=True, slots=True)
class NoisyEpisode:
    host: str
    uuid: str
    name: str
    metric: Metric
    began: bool
    """True when the episode begins, False when it ends."""
    value: float
    at: float


@dataclass(slots=True)
class _Watch:
    loud_since: float | None = None
    quiet: int = 0
    noisy: bool = False


@dataclass(slots=True)
class NoisyWatch:
    """Fed each tick's changed rows; says when an episode begins or ends, once each."""

    rule: NoisyRule = field(default_factory=NoisyRule)
    _vms: dict[tuple[str, str], _Watch] = field(default_factory=dict)

    def observe(self, rows: Iterable[DomainRow], at: float) -> list[NoisyEpisode]:
        said: list[NoisyEpisode] = []
        figure, rule = FIGURES[self.rule.metric], self.rule
        vms = self._vms
        for row in rows:
            value = figure(row)
            loud = value is not None and value > rule.threshold
            watch = vms.get(row.key)
            if watch is None:
                if not loud:
                    continue  # a quiet VM nobody watches: nothing to keep (most of a fleet)
                watch = vms[row.key] = _Watch()
            if loud:
                assert value is not None
                watch.quiet = 0
                if watch.loud_since is None:
                    watch.loud_since = at
                if not watch.noisy and at - watch.loud_since >= rule.hold_s:
                    watch.noisy = True
                    said.append(
                        NoisyEpisode(row.host, row.uuid, row.name, rule.metric, True, value, at)
                    )
                continue
            watch.quiet += 1
            if watch.noisy and watch.quiet >= rule.clear_samples:
                watch.noisy, watch.loud_since = False, None
                said.append(
                    NoisyEpisode(row.host, row.uuid, row.name, rule.metric, False, value or 0.0, at)
                )
            if not watch.noisy:
                del vms[row.key]  # quiet again: watched afresh when it is loud next
        return said

    def forget(self, key: tuple[str, str]) -> None:
        """The VM is gone."""
        self._vms.pop(key, None)

    @property
    def noisy(self) -> set[tuple[str, str]]:
        return {k for k, w in self._vms.items() if w.noisy}
