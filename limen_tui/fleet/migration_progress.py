"""A migration's progress from libvirt's job stats, and whether it converges (pure).

`progress_from_stats` turns one `virDomainGetJobStats` answer into figures in words; the
`ConvergenceWatch` is fed every sample and says "not converging" once the guest dirtied memory
faster than it was sent for `iterations` pre-copy iterations in a row, with the remedies that
apply to this migration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from limen_tui.model.action_params import Migrate

GIB = 1024**3
MIB = 1024**2


def _rate(bps: float) -> str:
    if bps >= GIB:
        return f"{bps / GIB:.1f} GiB/s"
    return f"{bps / MIB:.1f} MiB/s"


@dataclass(frozen=True, slots=True)
class JobProgress:
    """One sample of a running migration, in libvirt's own figures."""

    elapsed_s: float
    processed_bytes: int
    remaining_bytes: int
    total_bytes: int
    transfer_bps: float
    """Memory sent per second (libvirt's memory_bps)."""
    dirty_bps: float
    """Memory the guest dirtied per second (dirty pages/s x page size)."""
    iteration: int
    expected_downtime_ms: int | None
    throttle_pct: int | None = None
    """How much auto-converge slows the vCPUs down, when it does."""
    postcopy_requests: int | None = None

    @property
    def percent(self) -> float:
        if self.total_bytes <= 0:
            return 0.0
        return min(100.0, 100.0 * (self.total_bytes - self.remaining_bytes) / self.total_bytes)

    @property
    def eta_s(self) -> float | None:
        """At the current rates; None when the copy does not catch up or nothing is sent yet."""
        gain = self.transfer_bps - self.dirty_bps
        if self.transfer_bps <= 0 or gain <= 0:
            return None
        return self.remaining_bytes / gain

    def summary(self) -> str:
        """What the row shows: "migrating 63% 2.1 GiB/s"."""
        text = f"migrating {self.percent:.0f}% {_rate(self.transfer_bps)}"
        if self.iteration > 1:
            text += f", pass {self.iteration}"
        if self.eta_s is not None:
            text += f", ~{self.eta_s:.0f}s left"
        return text


def _int(stats: Mapping[str, Any], key: str) -> int | None:
    value = stats.get(key)
    return int(value) if isinstance(value, int | float) else None


RUNNING_JOB = (1, 2)
"""virDomainJobType: bounded and unbounded; 0 is none, 3-5 a job that completed, failed or
was cancelled."""


def progress_from_stats(stats: Mapping[str, Any]) -> JobProgress | None:
    """None when no job runs, or when the answer has no figures.

    A job being cancelled (or still setting up) answers with its type and nothing else: as a
    sample it would read "0% at 0 B/s" and replace the last real one the operator saw.
    """
    if stats.get("type") not in RUNNING_JOB:
        return None
    page = _int(stats, "memory_page_size") or 4096
    total = _int(stats, "data_total") or _int(stats, "memory_total") or 0
    if total <= 0:
        return None
    remaining = _int(stats, "data_remaining")
    if remaining is None:
        remaining = _int(stats, "memory_remaining") or 0
    processed = _int(stats, "data_processed")
    if processed is None:
        processed = _int(stats, "memory_processed") or 0
    return JobProgress(
        elapsed_s=(_int(stats, "time_elapsed") or 0) / 1000,
        processed_bytes=processed,
        remaining_bytes=remaining,
        total_bytes=total,
        transfer_bps=float(_int(stats, "memory_bps") or 0),
        dirty_bps=float((_int(stats, "memory_dirty_rate") or 0) * page),
        iteration=_int(stats, "memory_iteration") or 0,
        expected_downtime_ms=_int(stats, "downtime"),
        throttle_pct=_int(stats, "auto_converge_throttle"),
        postcopy_requests=_int(stats, "memory_postcopy_requests"),
    )


Remedy = Literal["postcopy", "auto_converge", "bandwidth", "restart_postcopy"]
"""What can make a migration converge: switch to post-copy now (allowed at the start), slow
the guest down, send faster, or start again with post-copy allowed."""

REMEDY_TEXT: Mapping[Remedy, str] = {
    "auto_converge": "restart it with auto-converge (QEMU slows the guest's vCPUs down)",
    "postcopy": "switch to post-copy now (the VM runs on the destination, memory follows)",
    "bandwidth": "raise the bandwidth limit",
    "restart_postcopy": "restart it with post-copy allowed",
}


@dataclass(frozen=True, slots=True)
class Verdict:
    state: Literal["too early", "converging", "not converging"]
    reason: str = ""
    remedies: tuple[Remedy, ...] = ()

    def sentence(self) -> str:
        if self.state != "not converging":
            return self.state
        ways = "; or ".join(REMEDY_TEXT[r] for r in self.remedies) or "pause the VM to finish"
        return f"not converging: {self.reason}; {ways}."


class ConvergenceWatch:
    """Feed it every sample; `verdict` says whether the pre-copy is catching up."""

    def __init__(self, params: Migrate, iterations: int = 3) -> None:
        self.params = params
        self.iterations = max(1, iterations)
        self._passes: dict[int, bool] = {}
        """Pre-copy pass -> whether the guest dirtied memory at least as fast as it was sent."""
        self._last: JobProgress | None = None
        self.postcopy_started = False

    def feed(self, sample: JobProgress) -> Verdict:
        self._last = sample
        # The first pass sends all memory once and has no dirty rate yet: judge from the second.
        if sample.iteration >= 2 and sample.transfer_bps > 0:
            behind = sample.dirty_bps >= sample.transfer_bps
            self._passes[sample.iteration] = self._passes.get(sample.iteration, False) or behind
        return self.verdict

    @property
    def verdict(self) -> Verdict:
        if self.postcopy_started:
            return Verdict("converging", "post-copy: the destination pulls what is left")
        passes = sorted(self._passes)
        if len(passes) < self.iterations:
            return Verdict("too early")
        recent = passes[-self.iterations :]
        if not all(self._passes[p] for p in recent):
            return Verdict("converging")
        last = self._last
        assert last is not None
        reason = (
            f"the guest dirties {_rate(last.dirty_bps)} and {_rate(last.transfer_bps)} is sent, "
            f"for {self.iterations} passes"
        )
        return Verdict("not converging", reason, self._remedies())

    def _remedies(self) -> tuple[Remedy, ...]:
        found: list[Remedy] = []
        if self.params.postcopy:
            found.append("postcopy")
        if not self.params.auto_converge:
            found.append("auto_converge")
        if self.params.bandwidth_mib_s > 0:
            found.append("bandwidth")
        if not self.params.postcopy:
            found.append("restart_postcopy")
        return tuple(found)
