"""Benchmark: the cost of one data refresh against one raw bulk call, and the UI's apply time.

For N = 10, 100, 1,000 domains behind a running libvirtd (the test driver through
`test+unix:///...`, so every call is a real RPC), measure in the same run:
  - the physical reference: one raw `getAllDomainStats` on the same connection, same groups;
  - one steady-state refresh (`DomainCollector.collect`: bulk call, parsing, rates, diff);
  - the libvirt calls one refresh makes;
and the time the UI loop spends applying one tick of 1,000 VMs where 10% changed.

Prints a table and one JSON line. Run: .venv/bin/python -m benchmarks.refresh
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from limen_tui.demo import write_fleet
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.collector import NOWAIT, DomainCollector
from limen_tui.virt.connection import close_quietly, open_connection, read_facts
from limen_tui.virt.eventloop import ensure_event_loop
from limen_tui.virt.stats import TABLE_GROUPS
from tests.harness.libvirtd import ensure_libvirtd


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def measure_refresh(n: int, repeats: int, workdir: Path) -> dict[str, float | int]:
    path = write_fleet(workdir / f"fleet-{n}.xml", n)
    uri = "test+unix://" + str(path)
    calls = CallCounter()
    conn = open_connection(uri, readonly=True, calls=calls, on_close=lambda _: None)
    try:
        facts = read_facts(conn, calls)
        collector = DomainCollector(conn, "bench", facts.cpus, calls)
        first = collector.collect()  # discovery: flags and definitions of new VMs, once
        raw, refresh, computed, per_tick = [], [], [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            conn.getAllDomainStats(TABLE_GROUPS, NOWAIT)
            raw.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            tick = collector.collect()
            refresh.append(time.perf_counter() - t0)
            per_tick.append(tick.call_count)
            # Worst case: every VM's counters moved (a host full of busy VMs), no row reused.
            collector.reuse_unchanged = False
            t0 = time.perf_counter()
            collector.collect()
            computed.append(time.perf_counter() - t0)
            collector.reuse_unchanged = True
        return {
            "n": n,
            "raw_ms": _median_ms(raw),
            "refresh_ms": _median_ms(refresh),
            "ratio": statistics.median(refresh) / statistics.median(raw),
            "refresh_all_changed_ms": _median_ms(computed),
            "ratio_all_changed": statistics.median(computed) / statistics.median(raw),
            "calls_per_tick": max(per_tick),
            "first_tick_calls": first.call_count,
        }
    finally:
        close_quietly(conn)


async def measure_ui_apply(n: int, changed_share: float, repeats: int) -> dict[str, float]:
    from limen_tui.cli.factory import make_app
    from limen_tui.demo import demo_uri
    from limen_tui.model import DomainRow, PowerState
    from limen_tui.ui.widgets.vm_table import VmTable

    rows = [
        DomainRow(
            host="bench",
            uuid=f"{i:08x}-0000-0000-0000-000000000000",
            name=f"vm-{i:04d}",
            state=PowerState.RUNNING,
            vcpus=2,
            cpu_pct=1.0,
            mem_current_kib=1 << 20,
            disk_rd_bps=0.0,
            disk_wr_bps=0.0,
            net_rx_bps=0.0,
            net_tx_bps=0.0,
            autostart=False,
        )
        for i in range(n)
    ]
    app = make_app([demo_uri()], start_fleet=False)
    apply_ms: list[float] = []
    with_paint_ms: list[float] = []
    idle_ms: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(VmTable)
        table.apply(rows)
        await pilot.pause()
        step = max(1, int(1 / changed_share))
        for k in range(repeats):
            changed = [
                replace(r, cpu_pct=float(k % 97) + 0.5, net_rx_bps=float(k * 1000))
                for r in rows[k % step :: step]
            ]
            t0 = time.perf_counter()
            with app.batch_update():
                table.apply(changed)
            apply_ms.append(time.perf_counter() - t0)
            await pilot.pause()
            with_paint_ms.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            await pilot.pause()  # the same wait with nothing changed: the pilot's own cost
            idle_ms.append(time.perf_counter() - t0)
    return {
        "ui_rows": n,
        "ui_changed": int(n * changed_share),
        "ui_apply_ms": _median_ms(apply_ms),
        "ui_apply_and_paint_ms": _median_ms(with_paint_ms),
        "ui_idle_pause_ms": _median_ms(idle_ms),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    ensure_libvirtd()
    ensure_event_loop()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            results.append(measure_refresh(n, args.repeats, Path(tmp)))
    ui = asyncio.run(measure_ui_apply(1000, 0.10, args.repeats))

    print(
        f"{'domains':>8} {'raw getAllDomainStats':>22} {'one refresh':>12} {'ratio':>6} "
        f"{'all changed':>12} {'ratio':>6} {'calls/tick':>10} {'first tick calls':>16}"
    )
    for r in results:
        print(
            f"{r['n']:>8} {r['raw_ms']:>19.2f} ms {r['refresh_ms']:>9.2f} ms {r['ratio']:>6.2f} "
            f"{r['refresh_all_changed_ms']:>9.2f} ms {r['ratio_all_changed']:>6.2f} "
            f"{r['calls_per_tick']:>10} {r['first_tick_calls']:>16}"
        )
    print(
        f"UI apply, {ui['ui_rows']} VMs with {ui['ui_changed']} changed: "
        f"{ui['ui_apply_ms']:.2f} ms; with the repaint {ui['ui_apply_and_paint_ms']:.2f} ms "
        f"(the same wait with nothing to paint: {ui['ui_idle_pause_ms']:.2f} ms)"
    )
    print(json.dumps({"benchmark": "refresh", "results": results, "ui": ui}))


if __name__ == "__main__":
    main()
