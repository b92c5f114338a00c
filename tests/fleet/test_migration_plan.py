"""The evacuation planner and its runner, without libvirtd."""

from __future__ import annotations

import asyncio

from limen_tui.fleet.evacuation import (
    HostCapacity,
    Move,
    PlanLimits,
    VmLoad,
    plan_evacuation,
    run_evacuation,
)

MIB = 1024 * 1024
NO_RESERVE = PlanLimits(memory_reserve_bytes=0)


def vm(name: str, mib: int, vcpus: int = 1) -> VmLoad:
    return VmLoad(f"uuid-{name}", name, mib * MIB, vcpus)


def test_biggest_first_each_on_the_host_with_most_memory_left() -> None:
    hosts = [HostCapacity("b", 1000 * MIB, 8, 0), HostCapacity("c", 700 * MIB, 8, 0)]
    plan = plan_evacuation(
        "a", [vm("small", 100), vm("big", 600), vm("mid", 300)], hosts, NO_RESERVE
    )
    assert [(m.vm.name, m.dest) for m in plan.moves] == [("big", "b"), ("mid", "c"), ("small", "b")]
    assert plan.unplaced == ()


def test_the_source_is_never_a_destination() -> None:
    hosts = [HostCapacity("a", 10_000 * MIB, 8, 0), HostCapacity("b", 500 * MIB, 8, 0)]
    plan = plan_evacuation("a", [vm("x", 100)], hosts, NO_RESERVE)
    assert [m.dest for m in plan.moves] == ["b"]


def test_what_fits_nowhere_stays_with_a_reason_per_host() -> None:
    hosts = [HostCapacity("b", 512 * MIB, 8, 0)]
    plan = plan_evacuation(
        "a", [vm("huge", 600)], hosts, PlanLimits(memory_reserve_bytes=256 * MIB)
    )
    assert plan.moves == ()
    [(left, why)] = plan.unplaced
    assert left.name == "huge" and why == "b has 256 MiB free for 600 MiB"
    assert plan.lines() == ["huge stays: b has 256 MiB free for 600 MiB"]


def test_vcpu_overcommit_is_a_limit() -> None:
    hosts = [HostCapacity("b", 10_000 * MIB, 2, 3)]
    plan = plan_evacuation("a", [vm("x", 64, 2), vm("y", 64, 1)], hosts, PlanLimits(0, 2.0))
    assert [m.vm.name for m in plan.moves] == ["y"]
    assert "would run 5 vCPUs on 2 CPUs (limit 4)" in plan.unplaced[0][1]


def test_per_host_limit_spreads_the_vms() -> None:
    hosts = [HostCapacity("b", 10_000 * MIB, 8, 0), HostCapacity("c", 100 * MIB, 8, 0)]
    limits = PlanLimits(memory_reserve_bytes=0, max_vms_per_host=1)
    plan = plan_evacuation("a", [vm("x", 64), vm("y", 64), vm("z", 64)], hosts, limits)
    assert sorted(m.dest for m in plan.moves) == ["b", "c"]
    assert plan.unplaced[0][1] == "b takes at most 1 VMs; c has 36 MiB free for 64 MiB"


def test_no_other_live_host_is_said() -> None:
    plan = plan_evacuation("a", [vm("x", 64)], [])
    assert plan.unplaced[0][1] == "no other host is live"


async def test_the_run_keeps_to_its_concurrency_and_one_failure_stops_nothing() -> None:
    hosts = [HostCapacity("b", 10_000 * MIB, 8, 0)]
    plan = plan_evacuation("a", [vm(f"v{i}", 64) for i in range(5)], hosts, NO_RESERVE)

    async def migrate(move: Move) -> tuple[str, str]:
        await asyncio.sleep(0.02)
        if move.vm.name == "v1":
            raise RuntimeError("destination went away")
        return "succeeded", "moved"

    run = await run_evacuation(plan, migrate, concurrency=2)
    assert run.most_at_once == 2
    assert len(run.outcomes) == 5
    assert [s for m, s, _ in run.outcomes if m.vm.name == "v1"] == ["failed"]
    assert run.summary() == "evacuate a: 4 moved, 1 failed"
