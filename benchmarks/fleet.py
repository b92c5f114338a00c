"""Benchmark: 10 hosts of 100 VMs each (test-driver fleets behind libvirtd, real RPC).

Measures in one run: libvirt calls per tick per host; the time of one fleet refresh (every
host's bulk call, parse, rates and diff, the hosts in parallel as the console runs them)
against the physical reference of the same 10 raw `getAllDomainStats` calls in parallel; the
UI time to apply one fleet tick; and the console's own CPU use over a window at the default
refresh interval (headless, all 10 hosts live).

Prints a table and one JSON line. Run: .venv/bin/python -m benchmarks.fleet
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

from limen_tui.cli.factory import make_app
from limen_tui.config.settings import Settings
from limen_tui.demo import write_fleet
from limen_tui.ui.widgets.vm_table import VmTable
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.collector import NOWAIT, DomainCollector
from limen_tui.virt.connection import close_quietly, open_connection, read_facts
from limen_tui.virt.eventloop import ensure_event_loop
from limen_tui.virt.stats import TABLE_GROUPS
from tests.harness.libvirtd import ensure_libvirtd


def refresh_figures(uris: list[str], repeats: int) -> dict[str, float]:
    conns, collectors, counters = [], [], []
    for i, uri in enumerate(uris):
        calls = CallCounter()
        conn = open_connection(uri, readonly=True, calls=calls, on_close=lambda _: None)
        facts = read_facts(conn, calls)
        collector = DomainCollector(conn, f"host-{i}", facts.cpus, calls)
        collector.collect()
        conns.append(conn)
        collectors.append(collector)
        counters.append(calls)
    pool = ThreadPoolExecutor(max_workers=len(uris))
    raw, fleet, per_tick = [], [], []
    try:
        for _ in range(repeats):
            t0 = time.perf_counter()
            list(pool.map(lambda c: c.getAllDomainStats(TABLE_GROUPS, NOWAIT), conns))
            raw.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            ticks = list(pool.map(lambda c: c.collect(), collectors))
            fleet.append(time.perf_counter() - t0)
            per_tick.append(max(t.call_count for t in ticks))
    finally:
        pool.shutdown()
        for conn in conns:
            close_quietly(conn)
    return {
        "raw_parallel_ms": statistics.median(raw) * 1000,
        "fleet_refresh_ms": statistics.median(fleet) * 1000,
        "ratio": statistics.median(fleet) / statistics.median(raw),
        "calls_per_tick_per_host": max(per_tick),
    }


UNBOUNDED_PCT = 400.0
"""The highest self-cost budget: the console's raw cost at the configured pace is measured."""


async def console_figures(uris: list[str], seconds: float) -> dict[str, float]:
    names = {uri: f"host-{i:02d}" for i, uri in enumerate(uris)}
    # The default refresh interval, held there: the self-cost budget would stretch it.
    app = make_app(uris, Settings(self_cost_budget_pct=UNBOUNDED_PCT), names=names)
    me = psutil.Process()
    async with app.run_test(size=(160, 50)):
        table = app.query_one(VmTable)
        for _ in range(600):  # up to a minute for every host to answer
            if table.row_count >= 100 * len(uris):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(2.0)
        app_ticks, cpu0, t0 = app.main.ticks_applied, me.cpu_times(), time.monotonic()
        applies: list[float] = []
        while time.monotonic() - t0 < seconds:
            before = app.main.ticks_applied
            await asyncio.sleep(0.05)
            if app.main.ticks_applied != before:
                applies.append(app.main.last_apply_ms)
        cpu1, wall = me.cpu_times(), time.monotonic() - t0
    used = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    return {
        "rows": float(table.row_count),
        "console_cpu_pct": used / wall * 100,
        "ticks_applied": float(app.main.ticks_applied - app_ticks),
        "ui_apply_ms_median": statistics.median(applies) if applies else 0.0,
        "window_s": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="10 hosts x 100 VMs")
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--vms", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--window", type=float, default=20.0)
    args = parser.parse_args()
    ensure_libvirtd()
    ensure_event_loop()
    with tempfile.TemporaryDirectory() as tmp:
        uris = [
            "test+unix://" + str(write_fleet(Path(tmp) / f"h{i}.xml", args.vms, seed=100 + i))
            for i in range(args.hosts)
        ]
        refresh = refresh_figures(uris, args.repeats)
        console = asyncio.run(console_figures(uris, args.window))
    print(f"{args.hosts} hosts x {args.vms} VMs, test driver behind libvirtd")
    print(f"  calls per tick per host        {refresh['calls_per_tick_per_host']:.0f}")
    print(f"  raw getAllDomainStats x{args.hosts} (parallel) {refresh['raw_parallel_ms']:8.2f} ms")
    print(
        f"  one fleet refresh (parallel)   {refresh['fleet_refresh_ms']:8.2f} ms"
        f"  ({refresh['ratio']:.2f}x the raw calls)"
    )
    print(f"  UI apply per host tick         {console['ui_apply_ms_median']:8.2f} ms (median)")
    print(
        f"  console CPU at the default 2 s interval: {console['console_cpu_pct']:.1f}% of one "
        f"core over {console['window_s']:.0f} s ({console['rows']:.0f} rows)"
    )
    print(
        json.dumps(
            {
                "benchmark": "fleet",
                "hosts": args.hosts,
                "vms_per_host": args.vms,
                **refresh,
                **console,
            }
        )
    )


if __name__ == "__main__":
    main()
