"""Soak: a 1,000-VM host with events at ~10/s for a bounded time; memory must stop growing.

The host is libvirt's test driver behind the running libvirtd (`test+unix:///default`, real
RPC). Its default instance is shared by every connection while one is open, so a second
connection of ours defines 1,000 running VMs and then pauses and resumes them at `--rate` per
second: real lifecycle events that reach the console through its own connection. The console
runs headless in this process with its own log in a temporary folder.

Reported: RSS every 30 s (growth after the first sample, the warm-up), events seen, the bounded
buffers (event pane, own log) against their bounds, and every ERROR or traceback in the
console's own log (there must be none). The state goes when the last connection closes.

Run: .venv/bin/python -m benchmarks.soak [--minutes 3]    (by hand: --minutes 60)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import threading
import time
from pathlib import Path
from typing import cast

import libvirt
import psutil

from limen_tui.cli.factory import make_app
from limen_tui.config.settings import Settings
from limen_tui.logs.own_log import setup_own_logging
from limen_tui.model import LinkState
from limen_tui.ui.screens.main import MainScreen
from limen_tui.ui.widgets.event_log import EventLog
from limen_tui.virt.eventloop import ensure_event_loop
from tests.harness.libvirtd import ensure_libvirtd

URI = "test+unix:///default"
PREFIX = "soak-"


def domain_xml(i: int) -> str:
    return (
        f"<domain type='test'><name>{PREFIX}{i:04d}</name><memory unit='MiB'>64</memory>"
        "<vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>"
    )


def populate(conn: libvirt.virConnect, vms: int) -> list[libvirt.virDomain]:
    doms = []
    for i in range(vms):
        dom = conn.defineXML(domain_xml(i))
        dom.create()
        doms.append(dom)
    return doms


def churn(doms: list[libvirt.virDomain], rate: float, stop: threading.Event) -> list[int]:
    """Pause a running VM or resume a paused one, `rate` times a second; counts [sent, errors]."""
    counts = [0, 0]
    rng = random.Random(7)
    paused: set[int] = set()
    period = 1.0 / rate
    next_at = time.monotonic()
    while not stop.is_set():
        i = rng.randrange(len(doms))
        try:
            if i in paused:
                doms[i].resume()
                paused.discard(i)
            else:
                doms[i].suspend()
                paused.add(i)
            counts[0] += 1
        except libvirt.libvirtError:
            counts[1] += 1
        next_at += period
        stop.wait(max(0.0, next_at - time.monotonic()))
    return counts


def cleanup(conn: libvirt.virConnect) -> None:
    for dom in conn.listAllDomains(0):
        if dom.name().startswith(PREFIX):
            if dom.isActive():
                dom.destroy()
            dom.undefine()


async def soak(minutes: float, vms: int, rate: float, sample_s: float) -> dict[str, object]:
    ensure_libvirtd()
    ensure_event_loop()
    folder = Path(tempfile.mkdtemp(prefix="limen-soak-"))
    own = setup_own_logging(directory=folder)
    driver = libvirt.open(URI)  # keeps the shared test instance alive for the run
    cleanup(driver)
    doms = populate(driver, vms)
    # Held at 2 s (the highest budget): the self-cost budget would stretch it mid-soak.
    settings = Settings(refresh_interval=2.0, self_cost_budget_pct=400.0)
    app = make_app([URI], settings, own_log=own)
    proc = psutil.Process()
    rss: list[tuple[float, float]] = []
    stop = threading.Event()
    counts: list[int] = []
    async with app.run_test(size=(120, 40)):
        assert app.fleet is not None
        host = app.fleet.hosts[URI]
        for _ in range(1200):  # up to 2 minutes for the first full tick
            if host.status.state is LinkState.LIVE and len(host.rows) >= vms:
                break
            await asyncio.sleep(0.1)
        seen = [0]
        sink = app.fleet.hosts[URI]._publish

        def count(update: object) -> None:
            if type(update).__name__ == "DomainEventArrived":
                seen[0] += 1
            sink(update)  # type: ignore[arg-type]

        host.bind(count)
        worker = threading.Thread(target=lambda: counts.extend(churn(doms, rate, stop)))
        worker.start()
        started = time.monotonic()
        end = started + minutes * 60
        try:
            while True:
                rss.append((time.monotonic() - started, proc.memory_info().rss / 2**20))
                if time.monotonic() >= end:
                    break
                await asyncio.sleep(min(sample_s, max(0.0, end - time.monotonic())))
        finally:
            stop.set()
            await asyncio.to_thread(worker.join)
        main = app.screen if isinstance(app.screen, MainScreen) else app.query_one(MainScreen)
        events = main.query_one(EventLog)
        buffers = {
            "event pane": (len(events.buffer), events.buffer.max_lines),
            "own log": (len(own.buffer), own.buffer.max_lines),
        }
    cleanup(driver)
    driver.close()
    own.close()
    log_text = (folder / "limen-tui.log").read_text(errors="replace")
    bad = [ln for ln in log_text.splitlines() if " ERROR " in ln or "Traceback" in ln]
    warm = rss[1][1] if len(rss) > 1 else rss[0][1]
    return {
        "minutes": minutes,
        "vms": vms,
        "events_sent": counts[0] if counts else 0,
        "event_errors": counts[1] if counts else 0,
        "events_seen": seen[0],
        "rss_mib": [round(m, 1) for _, m in rss],
        "rss_growth_after_warmup_mib": round(rss[-1][1] - warm, 1),
        "buffers": {k: {"lines": n, "bound": b} for k, (n, b) in buffers.items()},
        "errors_in_own_log": bad[:5],
        "own_log": str(folder / "limen-tui.log"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--vms", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=10.0, help="events per second")
    parser.add_argument("--sample", type=float, default=30.0, help="seconds between RSS samples")
    args = parser.parse_args()
    r = asyncio.run(soak(args.minutes, args.vms, args.rate, args.sample))
    rss = cast(list[float], r["rss_mib"])
    buffers = cast(dict[str, dict[str, int]], r["buffers"])
    errors = cast(list[str], r["errors_in_own_log"])
    print(
        f"soak: {r['vms']} VMs, {r['minutes']} min, events sent {r['events_sent']}, "
        f"seen {r['events_seen']}, errors sending {r['event_errors']}"
    )
    print(f"{'sample':>6} {'RSS MiB':>8}")
    for i, mib in enumerate(rss):
        print(f"{i * args.sample:>5.0f}s {mib:>8.1f}")
    print(f"RSS growth after warm-up: {r['rss_growth_after_warmup_mib']} MiB")
    for name, b in buffers.items():
        print(f"{name:12} {b['lines']:>6} lines (bound {b['bound']})")
    print(f"errors in the console's own log: {len(errors)}", *errors, sep="\n")
    print(json.dumps({"benchmark": "soak", **r}))


if __name__ == "__main__":
    main()
