"""Draining a host: a plan of where each running VM goes (pure), then the plan run.

The plan is capacity-aware: a destination takes a VM only while its free memory (less a
reserve) holds it, its vCPUs stay within the overcommit ratio of its CPUs, and it has taken
fewer than the per-host limit; the biggest VMs are placed first, each on the host with the
most memory left. What fits nowhere is listed with why. The plan is shown for confirmation;
`run_evacuation` then moves the VMs with bounded concurrency, one operation each (audited),
and a failure stops none of the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from limen_tui.fleet.migration_checks import DEFAULT_RESERVE, MIB


@dataclass(frozen=True, slots=True)
class HostCapacity:
    key: str
    free_bytes: int
    cpus: int
    vcpus_running: int
    """vCPUs of the VMs already running there."""


@dataclass(frozen=True, slots=True)
class VmLoad:
    uuid: str
    name: str
    memory_bytes: int
    vcpus: int


@dataclass(frozen=True, slots=True)
class PlanLimits:
    memory_reserve_bytes: int = DEFAULT_RESERVE
    vcpu_overcommit: float = 4.0
    """vCPUs running on a host at most this many times its CPUs."""
    max_vms_per_host: int | None = None
    """At most this many VMs of the plan to any one destination."""


@dataclass(frozen=True, slots=True)
class Move:
    vm: VmLoad
    dest: str


@dataclass(frozen=True, slots=True)
class EvacuationPlan:
    source: str
    moves: tuple[Move, ...]
    unplaced: tuple[tuple[VmLoad, str], ...] = ()
    """VMs that fit nowhere, each with the sentence why."""

    def lines(self) -> list[str]:
        """The plan in words, for the confirmation."""
        found = [
            f"{m.vm.name} ({m.vm.memory_bytes // MIB} MiB, {m.vm.vcpus} vCPU) -> {m.dest}"
            for m in self.moves
        ]
        found += [f"{vm.name} stays: {why}" for vm, why in self.unplaced]
        return found


@dataclass(slots=True)
class _Room:
    cap: HostCapacity
    free: int
    vcpus: int
    taken: int = 0


def plan_evacuation(
    source: str,
    vms: Sequence[VmLoad],
    hosts: Sequence[HostCapacity],
    limits: PlanLimits | None = None,
) -> EvacuationPlan:
    limits = limits or PlanLimits()
    rooms = [
        _Room(h, h.free_bytes - limits.memory_reserve_bytes, h.vcpus_running)
        for h in hosts
        if h.key != source
    ]
    moves: list[Move] = []
    unplaced: list[tuple[VmLoad, str]] = []
    for vm in sorted(vms, key=lambda v: (-v.memory_bytes, -v.vcpus, v.name)):
        fits, why = [], []
        for room in rooms:
            reason = _refuses(room, vm, limits)
            if reason is None:
                fits.append(room)
            else:
                why.append(f"{room.cap.key} {reason}")
        if not fits:
            unplaced.append((vm, "; ".join(why) or "no other host is live"))
            continue
        best = min(fits, key=lambda r: (-r.free, r.taken, r.cap.key))
        best.free -= vm.memory_bytes
        best.vcpus += vm.vcpus
        best.taken += 1
        moves.append(Move(vm, best.cap.key))
    return EvacuationPlan(source, tuple(moves), tuple(unplaced))


def _refuses(room: _Room, vm: VmLoad, limits: PlanLimits) -> str | None:
    if vm.memory_bytes > room.free:
        return f"has {max(0, room.free) // MIB} MiB free for {vm.memory_bytes // MIB} MiB"
    ceiling = limits.vcpu_overcommit * max(1, room.cap.cpus)
    if room.vcpus + vm.vcpus > ceiling:
        total = room.vcpus + vm.vcpus
        return f"would run {total} vCPUs on {room.cap.cpus} CPUs (limit {ceiling:g})"
    if limits.max_vms_per_host is not None and room.taken >= limits.max_vms_per_host:
        return f"takes at most {limits.max_vms_per_host} VMs"
    return None


@dataclass(slots=True)
class EvacuationRun:
    """What happened: one outcome per move, and how many ran at once at most."""

    plan: EvacuationPlan
    outcomes: list[tuple[Move, str, str]] = field(default_factory=list)
    """(move, state word, note or error) in the order they finished."""
    most_at_once: int = 0

    def summary(self) -> str:
        ok = sum(state == "succeeded" for _, state, _ in self.outcomes)
        failed = len(self.outcomes) - ok
        text = f"evacuate {self.plan.source}: {ok} moved"
        if failed:
            text += f", {failed} failed"
        if self.plan.unplaced:
            text += f", {len(self.plan.unplaced)} left (no room)"
        return text


async def run_evacuation(
    plan: EvacuationPlan,
    migrate: Callable[[Move], Awaitable[tuple[str, str]]],
    concurrency: int = 2,
) -> EvacuationRun:
    """Run every move of `plan` through `migrate` (an async callable returning (state, text)),
    at most `concurrency` at a time; one failing stops none of the others."""
    gate = asyncio.Semaphore(max(1, concurrency))
    result = EvacuationRun(plan)
    running = 0

    async def one(move: Move) -> None:
        nonlocal running
        async with gate:
            running += 1
            result.most_at_once = max(result.most_at_once, running)
            try:
                state, text = await migrate(move)
            except Exception as exc:  # one failure stops none of the others
                state, text = "failed", str(exc)
            finally:
                running -= 1
            result.outcomes.append((move, state, text))

    await asyncio.gather(*(one(m) for m in plan.moves))
    return result
