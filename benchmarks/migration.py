"""Benchmark: live migration of a real guest that dirties memory at a given rate, on the lab.

In one run, on a lab of two hosts (tests/harness/lab.py):
  - the real Linux guest boots on lab-a and rewrites DIRTY MiB of its RAM every second;
  - the console (a Fleet of both hosts) migrates it to lab-b with a bandwidth limit, while a
    second, raw connection polls libvirt's own `jobStats` every 0.2 s (the physical reference);
  - each progress sample of the console is compared with the raw sample nearest in time
    (remaining bytes, transfer and dirty rates);
  - the time the console adds: the operation's whole duration against libvirt's migrate call
    (checks before, both hosts' events after), and a raw `migrateToURI3` back to lab-a with the
    same flags, timed alone.

Prints a table and one JSON line. Run: .venv/bin/python -m benchmarks.migration --dirty 4
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import libvirt

from limen_tui.config.settings import Settings
from limen_tui.fleet.fleet import Fleet, HostPlan
from limen_tui.fleet.operations import OpState
from limen_tui.model import LinkState
from limen_tui.model.action_params import Migrate
from limen_tui.virt.migration import migration_flags, migration_params
from tests.harness.guest_image import guest_boot
from tests.harness.lab import Lab, sweep_leftover_labs
from tests.harness.lab_fixtures import shared_pool
from tests.harness.libvirtd import remove_domain
from tests.harness.linux_guest import LinuxGuest

MIB = 1024 * 1024


def _raw_poll(
    uri: str, name: str, stop: threading.Event, out: list[tuple[float, dict[str, Any]]]
) -> None:
    conn = libvirt.open(uri)
    try:
        dom = conn.lookupByName(name)
        while not stop.is_set():
            try:
                stats = dom.jobStats(0)
            except libvirt.libvirtError:
                break
            if stats.get("type"):
                out.append((time.monotonic(), stats))
            stop.wait(0.2)
    finally:
        conn.close()


async def _until(done: Callable[[], bool], limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the lab's hosts did not show up in the console")
        await asyncio.sleep(0.05)


async def _console_migrate(lab: Lab, guest: LinuxGuest, params: Migrate) -> dict[str, Any]:
    plans = [HostPlan(h.uri, name=h.name) for h in lab.hosts.values()]
    fleet = Fleet(plans, settings=Settings(refresh_interval=1.0))
    fleet.start()
    try:
        source = fleet.hosts["lab-a"]
        await _until(lambda: all(h.status.state is LinkState.LIVE for h in fleet.hosts.values()))
        await _until(lambda: any(r.name == guest.name for r in source.rows.values()))
        row = next(r for r in source.rows.values() if r.name == guest.name)
        raw: list[tuple[float, dict[str, Any]]] = []
        stop = threading.Event()
        poller = threading.Thread(
            target=_raw_poll, args=(lab.hosts["lab-a"].uri, guest.name, stop, raw)
        )
        job = fleet.migration(row, params)
        poller.start()
        op = await fleet.run_migration(job)
        stop.set()
        poller.join()
        assert op.state is OpState.SUCCEEDED, op
        return {"op": op, "job": job, "raw": raw}
    finally:
        await fleet.stop()


def _compare(job: Any, raw: list[tuple[float, dict[str, Any]]]) -> dict[str, float]:
    worst_remaining, worst_bps, worst_dirty, n = 0.0, 0.0, 0.0, 0
    for at, sample in job.samples:
        if not raw:
            break
        t, stats = min(raw, key=lambda r: abs(r[0] - at))
        if abs(t - at) > 0.3:
            continue
        n += 1
        total = max(1, sample.total_bytes)
        worst_remaining = max(
            worst_remaining, abs(sample.remaining_bytes - stats.get("data_remaining", 0)) / total
        )
        worst_bps = max(worst_bps, abs(sample.transfer_bps - stats.get("memory_bps", 0)) / MIB)
        dirty = stats.get("memory_dirty_rate", 0) * stats.get("memory_page_size", 4096)
        worst_dirty = max(worst_dirty, abs(sample.dirty_bps - dirty) / MIB)
    return {
        "paired_samples": n,
        "remaining_diff_pct_max": round(100 * worst_remaining, 2),
        "transfer_diff_mib_s_max": round(worst_bps, 2),
        "dirty_diff_mib_s_max": round(worst_dirty, 2),
    }


def run(dirty_mib: int, bandwidth: int) -> dict[str, Any]:
    sweep_leftover_labs()
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
    started = time.monotonic()
    lab = Lab().start(2)
    lab_seconds = time.monotonic() - started
    conn = lab.hosts["lab-a"].open()
    guest = LinuxGuest.start(conn, "bench-mig", nics=0, boot=guest_boot())
    try:
        guest.wait_ready()
        guest.shell.run(
            f"(while :; do dd if=/dev/zero of=/tmp/dirty bs=1M count={dirty_mib} conv=notrunc "
            "2>/dev/null; sleep 1; done) & echo dirtying"
        )
        params = Migrate("lab-b", bandwidth_mib_s=bandwidth, shared_unseen=True)
        with shared_pool(lab, guest.directory):
            found = asyncio.run(_console_migrate(lab, guest, params))
            op, job = found["op"], found["job"]
            # The reference: libvirt alone, the same flags, back to lab-a.
            b = lab.hosts["lab-b"].open()
            try:
                dom = b.lookupByName(guest.name)
                back = Migrate("lab-a", bandwidth_mib_s=bandwidth, shared_unseen=True)
                t0 = time.monotonic()
                dom.migrateToURI3(
                    lab.hosts["lab-a"].uri, migration_params(back), migration_flags(back, True)
                )
                raw_seconds = time.monotonic() - t0
            finally:
                b.close()
        last = job.progress
        result = {
            "dirty_mib_s": dirty_mib,
            "bandwidth_mib_s": bandwidth,
            "lab_start_s": round(lab_seconds, 2),
            "console_total_s": round(op.duration or 0, 2),
            "libvirt_call_s": round(job.call_seconds or 0, 2),
            "checks_s": round((op.started_at or 0) - op.queued_at, 3),
            "events_after_call_s": round((op.duration or 0) - (job.call_seconds or 0), 3),
            "raw_migrate_s": round(raw_seconds, 2),
            "samples": len(job.samples),
            "iterations": last.iteration if last else 0,
            "expected_downtime_ms": last.expected_downtime_ms if last else None,
            "last_transfer_mib_s": round(last.transfer_bps / MIB, 1) if last else 0,
            "last_dirty_mib_s": round(last.dirty_bps / MIB, 1) if last else 0,
            "verdict": job.verdict.state,
            **_compare(job, found["raw"]),
        }
    finally:
        guest.remove()
        for host in lab.hosts.values():
            try:
                c = host.open()
                remove_domain(c, guest.name)
                c.close()
            except libvirt.libvirtError:
                pass
        conn.close()
        lab.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dirty", type=int, default=4, help="MiB the guest rewrites per second")
    parser.add_argument("--bandwidth", type=int, default=32, help="migration limit, MiB/s")
    args = parser.parse_args()
    result = run(args.dirty, args.bandwidth)
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    print(json.dumps({"benchmark": "migration", **result}))


if __name__ == "__main__":
    main()
