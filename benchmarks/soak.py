"""Soak: a 1,000-VM host and real Linux guests, events at ~10/s; memory must stop growing.

The big host is libvirt's test driver behind the running libvirtd (`test+unix:///default`,
real RPC). Its default instance is shared by every connection while one is open, so a second
connection of ours defines 1,000 running VMs and then pauses and resumes them: real lifecycle
events that reach the console through its own connection. The real guests (TCG, busybox
initramfs, as in the tests) run on `qemu:///system`, the console's second host; every tenth
event is a pause or resume of one of them. The console runs headless in this process, with a
real cache file and its own log in a temporary folder.

First a warm-up: events at `--warm-rate` until the event pane is full, then `--warm` seconds
at `--rate`, so every bounded buffer has reached its bound before memory is judged. Then
`--minutes` at `--rate`, RSS sampled every `--sample` seconds. Reported: RSS per sample and
its growth over the measured run, events sent and seen, every log pane's buffer and the VM
screens' recent lines against their bounds, and every ERROR or traceback in the console's own
log (there must be none).

Run: .venv/bin/python -m benchmarks.soak [--minutes 3]    (by hand: --minutes 60)
tests/integration/test_soak.py runs it for two minutes on every CI run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import libvirt
import psutil

from limen_tui.cli.factory import make_app
from limen_tui.config.settings import Settings
from limen_tui.fleet.updates import FleetUpdate
from limen_tui.logs.own_log import setup_own_logging
from limen_tui.model import LinkState
from limen_tui.store.cache import Cache
from limen_tui.ui.widgets.event_log import EventLog
from limen_tui.ui.widgets.log_pane import LogPane
from limen_tui.virt.eventloop import ensure_event_loop
from tests.harness.libvirtd import SYSTEM_URI, ensure_libvirtd
from tests.harness.linux_guest import LinuxGuest, linux_guests

URI = "test+unix:///default"
PREFIX = "soak-"
REAL_EVERY = 10
"""Every tenth event is a real guest's."""


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


@dataclass
class Churn:
    """Pauses a running VM or resumes a paused one, `rate` times a second, in a thread."""

    test_doms: list[libvirt.virDomain]
    real_doms: list[libvirt.virDomain]
    rate: float
    sent: int = 0
    errors: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _paused: set[tuple[bool, int]] = field(default_factory=set)

    def run(self) -> None:
        rng = random.Random(7)
        next_at = time.monotonic()
        while not self._stop.is_set():
            real = bool(self.real_doms) and self.sent % REAL_EVERY == REAL_EVERY - 1
            doms = self.real_doms if real else self.test_doms
            i = rng.randrange(len(doms))
            try:
                if (real, i) in self._paused:
                    doms[i].resume()
                    self._paused.discard((real, i))
                else:
                    doms[i].suspend()
                    self._paused.add((real, i))
                self.sent += 1
            except libvirt.libvirtError:
                self.errors += 1
            next_at += 1.0 / self.rate
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def resume_all(self) -> None:
        for real, i in self._paused:
            with contextlib.suppress(libvirt.libvirtError):
                (self.real_doms if real else self.test_doms)[i].resume()
        self._paused.clear()

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        self._stop.clear()
        worker = threading.Thread(target=self.run, name="soak-churn")
        worker.start()
        try:
            yield
        finally:
            self._stop.set()
            worker.join()


def cleanup(conn: libvirt.virConnect) -> None:
    for dom in conn.listAllDomains(0):
        if dom.name().startswith(PREFIX):
            if dom.isActive():
                dom.destroy()
            dom.undefine()


def _bad_lines(log_file: Path) -> list[str]:
    text = log_file.read_text(errors="replace") if log_file.exists() else ""
    return [ln for ln in text.splitlines() if " ERROR " in ln or "Traceback" in ln]


async def soak(
    minutes: float,
    vms: int = 1000,
    rate: float = 10.0,
    sample_s: float = 30.0,
    *,
    guests: int = 2,
    warm_rate: float = 100.0,
    warm_s: float = 30.0,
) -> dict[str, Any]:
    ensure_libvirtd()
    ensure_event_loop()
    folder = Path(tempfile.mkdtemp(prefix="limen-soak-"))
    own = setup_own_logging(directory=folder)
    driver = libvirt.open(URI)  # keeps the shared test instance alive for the run
    system = libvirt.open(SYSTEM_URI)
    cleanup(driver)
    try:
        with contextlib.ExitStack() as stack:
            real: list[LinuxGuest] = (
                stack.enter_context(linux_guests(system, guests, "soak")) if guests else []
            )
            churn = Churn(populate(driver, vms), [g.dom for g in real], warm_rate)
            cache = stack.enter_context(Cache(folder / "cache.db"))
            return await _watch(churn, vms, guests, minutes, rate, sample_s, warm_s, own, cache)
    finally:
        cleanup(driver)
        driver.close()
        system.close()
        own.close()


async def _watch(
    churn: Churn,
    vms: int,
    guests: int,
    minutes: float,
    rate: float,
    sample_s: float,
    warm_s: float,
    own: Any,
    cache: Cache,
) -> dict[str, Any]:
    # Held at 2 s (the highest budget): the self-cost budget would stretch it mid-soak.
    settings = Settings(refresh_interval=2.0, self_cost_budget_pct=400.0)
    app = make_app([URI, SYSTEM_URI], settings, own_log=own, cache=cache)
    proc = psutil.Process()
    seen = [0]
    rss: list[tuple[float, float]] = []
    async with app.run_test(size=(120, 40)):
        assert app.fleet is not None
        hosts = app.fleet.hosts
        for _ in range(1200):  # up to 2 minutes for the first full ticks
            if all(h.status.state is LinkState.LIVE for h in hosts.values()) and (
                len(hosts[URI].rows) >= vms
            ):
                break
            await asyncio.sleep(0.1)
        for host in hosts.values():
            sink = host._publish

            def count(update: FleetUpdate, sink: Any = sink) -> None:
                if type(update).__name__ == "DomainEventArrived":
                    seen[0] += 1
                sink(update)

            host.bind(count)
        main = app.screen
        events = main.query_one(EventLog)
        warm_started = time.monotonic()
        with churn.running():
            while len(events.buffer) < events.buffer.max_lines:
                if time.monotonic() - warm_started > 600:
                    break
                await asyncio.sleep(0.5)
            churn.rate = rate
            await asyncio.sleep(warm_s)
            warm_sent = churn.sent
            warm_took = time.monotonic() - warm_started
            started = time.monotonic()
            end = started + minutes * 60
            while True:
                rss.append((time.monotonic() - started, proc.memory_info().rss / 2**20))
                if time.monotonic() >= end:
                    break
                await asyncio.sleep(min(sample_s, max(0.0, end - time.monotonic())))
            sent = churn.sent
        churn.resume_all()
        await asyncio.sleep(3)  # the last events reach the console
        buffers = {
            f"pane {pane.id or type(pane).__name__}": (len(pane.buffer), pane.buffer.max_lines)
            for pane in main.query(LogPane)
        }
        buffers["own log"] = (len(own.buffer), own.buffer.max_lines)
        for key, host in hosts.items():
            buffers[f"recent lines {key}"] = (host.recent.lines, host.recent.bound)
    return {
        "minutes": minutes,
        "vms": vms,
        "real_guests": guests,
        "rate": rate,
        "warmup_s": round(warm_took, 1),
        "warmup_events": warm_sent,
        "events_sent": sent,
        "event_errors": churn.errors,
        "events_seen": seen[0],
        "rss_mib": [round(m, 1) for _, m in rss],
        "rss_growth_mib": round(max(m for _, m in rss) - rss[0][1], 1),
        "buffers": {k: {"lines": n, "bound": b} for k, (n, b) in buffers.items()},
        "errors_in_own_log": _bad_lines(own.path)[:5] if own.path else ["no own log file"],
        "own_log": str(own.path),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="the measured run")
    parser.add_argument("--vms", type=int, default=1000)
    parser.add_argument("--guests", type=int, default=2, help="real Linux guests")
    parser.add_argument("--rate", type=float, default=10.0, help="events per second")
    parser.add_argument("--warm-rate", type=float, default=100.0, help="until the pane is full")
    parser.add_argument("--warm", type=float, default=30.0, help="seconds at --rate after it")
    parser.add_argument("--sample", type=float, default=30.0, help="seconds between RSS samples")
    args = parser.parse_args()
    r = asyncio.run(
        soak(
            args.minutes,
            args.vms,
            args.rate,
            args.sample,
            guests=args.guests,
            warm_rate=args.warm_rate,
            warm_s=args.warm,
        )
    )
    print(
        f"soak: {r['vms']} VMs + {r['real_guests']} real guests, {r['minutes']} min at "
        f"{r['rate']}/s after a {r['warmup_s']} s warm-up ({r['warmup_events']} events); "
        f"events sent {r['events_sent']}, seen {r['events_seen']}, errors sending "
        f"{r['event_errors']}"
    )
    print(f"{'sample':>6} {'RSS MiB':>8}")
    for i, mib in enumerate(r["rss_mib"]):
        print(f"{i * args.sample:>5.0f}s {mib:>8.1f}")
    print(f"RSS growth over the run: {r['rss_growth_mib']} MiB")
    for name, b in r["buffers"].items():
        print(f"{name:40} {b['lines']:>6} lines (bound {b['bound']})")
    errors = r["errors_in_own_log"]
    print(f"errors in the console's own log: {len(errors)}", *errors, sep="\n")
    print(json.dumps({"benchmark": "soak", **r}))


if __name__ == "__main__":
    main()
