"""Benchmark: time to the first painted VM table, warm cache + slow host against a cold start.

A host that answers `--delay` seconds late (a TCP front for the local libvirtd; the test driver
fleet of N domains behind it). Cold: an empty cache, so the table waits for the host. Warm: the
cache from the cold run, so the last known fleet shows at once. The reference is the host's own
delay, measured in the same run as the time the live rows arrive.

Prints a table and one JSON line. Run: .venv/bin/python -m benchmarks.startup
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from limen_tui.cli.factory import make_app
from limen_tui.config.settings import Settings
from limen_tui.demo import write_fleet
from limen_tui.model import LinkState
from limen_tui.store.cache import Cache
from limen_tui.ui.widgets.host_bar import HostBar
from limen_tui.ui.widgets.vm_table import VmTable
from tests.harness.libvirtd import ensure_libvirtd
from tests.harness.slow_proxy import SlowLibvirtProxy


async def first_paint(uri: str, cache_path: Path, n: int) -> tuple[float, float]:
    """(seconds to the first full table, seconds to live rows) from the app's start."""
    with Cache(cache_path) as cache:
        app = make_app([uri], Settings(refresh_interval=1.0, connect_timeout=30), cache=cache)
        started = time.perf_counter()
        shown = live = 0.0
        async with app.run_test(size=(120, 40)) as pilot:
            table = app.query_one(VmTable)
            bar = app.query_one(HostBar)
            while not live:
                await asyncio.sleep(0.005)
                if not shown and table.row_count >= n:
                    await pilot.pause()
                    shown = time.perf_counter() - started
                status = bar.statuses.get(uri)
                if status is not None and status.state is LinkState.LIVE and table.row_count >= n:
                    live = time.perf_counter() - started
                if time.perf_counter() - started > 60:
                    raise TimeoutError("the host never answered")
        return shown, live


def main() -> None:
    parser = argparse.ArgumentParser(description="time to the first painted table")
    parser.add_argument("--domains", type=int, default=100)
    parser.add_argument("--delay", type=float, default=2.0)
    args = parser.parse_args()
    ensure_libvirtd()
    proxy = SlowLibvirtProxy(delay=args.delay)
    results = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            fleet = write_fleet(Path(tmp) / "fleet.xml", args.domains)
            uri = proxy.uri("test", str(fleet))
            cache_path = Path(tmp) / "cache.db"
            cold = asyncio.run(first_paint(uri, cache_path, args.domains))
            warm = asyncio.run(first_paint(uri, cache_path, args.domains))
            results = {
                "domains": args.domains,
                "host_delay_s": args.delay,
                "cold_first_table_s": cold[0],
                "cold_live_s": cold[1],
                "warm_first_table_s": warm[0],
                "warm_live_s": warm[1],
            }
    finally:
        proxy.close()
    late = f"(host answers {args.delay:.1f}s late, {args.domains} VMs)"
    print(f"{'start':>6} {'first table':>12} {'live rows':>10}   {late}")
    print(f"{'cold':>6} {results['cold_first_table_s']:>10.3f} s {results['cold_live_s']:>8.3f} s")
    print(f"{'warm':>6} {results['warm_first_table_s']:>10.3f} s {results['warm_live_s']:>8.3f} s")
    print(json.dumps({"benchmark": "startup", **results}))


if __name__ == "__main__":
    main()
