"""Evacuating a lab host: the plan, then three VMs moved two at a time, each audited."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time

import libvirt
import pytest

from limen_tui.fleet.evacuation import PlanLimits
from limen_tui.fleet.operations import OpState
from limen_tui.fleet.updates import BatchFinished
from limen_tui.model.action_params import Migrate
from tests.harness.lab import Lab
from tests.harness.lab_fixtures import LabConsole
from tests.harness.libvirtd import tiny_domain_xml, unique_prefix

pytestmark = pytest.mark.libvirtd


def jobs_at_once(uri: str, names: list[str], stop: threading.Event) -> list[int]:
    """How many of `names` had a job running on the host, every 20 ms, until `stop`."""
    counts = [0]
    conn = libvirt.open(uri)
    try:
        while not stop.is_set():
            busy = 0
            for dom in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE):
                with contextlib.suppress(libvirt.libvirtError):
                    if dom.name() in names and dom.jobInfo()[0] != libvirt.VIR_DOMAIN_JOB_NONE:
                        busy += 1
            counts.append(busy)
            stop.wait(0.02)
    finally:
        conn.close()
    return counts


async def test_three_vms_leave_two_at_a_time_and_every_step_is_audited(
    lab: Lab, lab_console: LabConsole
) -> None:
    conn = lab.hosts["lab-a"].open()
    prefix = unique_prefix()
    names = [f"{prefix}evac{i}" for i in range(3)]
    try:
        for name in names:
            conn.defineXML(tiny_domain_xml(name, nic="none")).create()
    finally:
        conn.close()
    source = lab_console.fleet.hosts["lab-a"]
    deadline = time.monotonic() + 20
    while sum(r.name in names and r.mem_max_kib is not None for r in source.rows.values()) < 3:
        assert time.monotonic() < deadline, "the VMs never showed with their sizes"
        await asyncio.sleep(0.1)

    plan = await lab_console.fleet.evacuation_plan("lab-a", PlanLimits(max_vms_per_host=3))
    assert sorted(m.vm.name for m in plan.moves) == names
    assert {m.dest for m in plan.moves} == {"lab-b"} and plan.unplaced == ()
    assert all(line.endswith("(64 MiB, 1 vCPU) -> lab-b") for line in plan.lines())

    stop = threading.Event()
    watcher = asyncio.get_running_loop().run_in_executor(
        None, jobs_at_once, lab.hosts["lab-a"].uri, names, stop
    )
    run = await lab_console.fleet.evacuate(plan, Migrate(""), concurrency=2)
    stop.set()
    await watcher
    assert [state for _, state, _ in run.outcomes] == ["succeeded"] * 3, run.outcomes
    assert run.most_at_once == 2
    assert run.summary() == "evacuate lab-a: 3 moved"
    # libvirt's own word on lab-a: never more than two jobs at once. (Whether its sampler saw
    # the two overlap depends on how fast two 64 MiB moves end; the console counted 2 above.)
    assert 1 <= max(watcher.result()) <= 2, watcher.result()
    audited = [op for op in lab_console.audited if op.action == "migrate"]
    assert len(audited) == 3 and all(op.state is OpState.SUCCEEDED for op in audited)
    assert len({op.batch for op in audited}) == 1 and audited[0].batch is not None
    batch = [u.summary for u in lab_console.updates if isinstance(u, BatchFinished)]
    assert [(b.action, b.ok, b.failed) for b in batch] == [("evacuate", 3, 0)]
    # The source's table lets them go (at once by event, at the latest by its next tick).
    deadline = time.monotonic() + 10
    while any(r.name in names for r in source.rows.values()):
        assert time.monotonic() < deadline, "the moved VMs stayed in the source's table"
        await asyncio.sleep(0.1)
