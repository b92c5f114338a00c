"""Benchmark: the console under injected faults, against the real libvirtd and a real sshd.

Scenarios (each while the demo host keeps updating and a key is typed into the filter every
50 ms and timed):
- libvirtd killed (SIGKILL) under a live `qemu:///system` host, started again after `--down` s,
  with a 60 s reconnect backoff: seconds from the daemon answering to the host live again;
- a `qemu+ssh://` host frozen (SIGSTOP of its sshd and session) for `--frozen` s, longer than
  the connect timeout, then thawed (the scenario that once ended in SIGSEGV): seconds from the
  thaw to live, opens in flight, `ssh` processes left;
- the sshd restarted; a port that accepts and never speaks.

The reference is the physical one measured in the same run: one raw `libvirt.open` of the same
`+ssh` URI (what a reconnect costs at least). Prints a table and one JSON line.
Run: .venv/bin/python -m benchmarks.faults [--rounds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import libvirt

from limen_tui.cli.factory import make_app
from limen_tui.config.settings import Settings
from limen_tui.demo import demo_uri
from limen_tui.model import PowerState
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.connection import close_quietly, open_connection
from limen_tui.virt.eventloop import ensure_event_loop
from tests.harness.fault_scenarios import (
    FAULT_SETTINGS,
    FaultConsole,
    OpenWatch,
    Round,
    daemon_killed,
    freeze_and_thaw,
    no_fault,
    silent_host,
    slow_link,
    sshd_restart,
    summary,
)
from tests.harness.libvirtd import (
    SYSTEM_URI,
    ensure_libvirtd,
    remove_domain,
    tiny_domain_xml,
    unique_prefix,
)
from tests.harness.slow_proxy import SlowLibvirtProxy
from tests.harness.ssh_libvirt import ssh_children, ssh_uri
from tests.harness.sshd import SilentListener, SshServer

Scenario = Callable[[FaultConsole], Awaitable[Round]]


async def run_rounds(
    uri: str, scenario: Scenario, rounds: int, settings: Settings = FAULT_SETTINGS
) -> dict[str, Any]:
    app = make_app([demo_uri(), uri], settings, demo=True)
    results: list[Round] = []
    with OpenWatch().installed() as opens:
        async with app.run_test(size=(100, 30)) as pilot:
            console = FaultConsole(app, pilot, uri, "demo")
            for _ in range(rounds):
                results.append(await scenario(console))
        for _ in range(150):  # up to 15 s for the last ssh to be reaped
            if not ssh_children():
                break
            await asyncio.sleep(0.1)
    figures: dict[str, Any] = dict(summary(results))
    figures.update(
        opens_in_flight_max=opens.most,
        opens=opens.opened.get(uri, 0),
        ssh_left=len(ssh_children()),
        reason=results[0].reason[:70] if results else "",
    )
    return figures


def raw_open_ms(uri: str, repeats: int = 5) -> float:
    ensure_event_loop()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        conn = open_connection(uri, readonly=False, calls=CallCounter(), on_close=lambda _: None)
        times.append((time.perf_counter() - started) * 1000)
        close_quietly(conn)
    return sorted(times)[len(times) // 2]


async def slow_rounds(rounds: int) -> dict[str, Any]:
    """A host behind 200 ms each way and 5% of chunks held (tests/harness/slow_proxy.py);
    "back" is how long a pause made with libvirt took to show through it."""
    conn = libvirt.open(SYSTEM_URI)
    name = f"{unique_prefix()}slowlink"
    dom = conn.defineXML(tiny_domain_xml(name, nic="none"))
    dom.create()
    proxy = SlowLibvirtProxy(latency=0.2, loss=0.05)
    settings = dataclasses.replace(FAULT_SETTINGS, connect_timeout=15, call_timeout=15)
    flip = [False]

    async def one(console: FaultConsole) -> Round:
        flip[0] = not flip[0]
        want = PowerState.PAUSED if flip[0] else PowerState.RUNNING

        def shown() -> bool:
            rows = console.fleet.hosts[proxy.uri()].rows.values()
            return any(r.name == name and r.state is want for r in rows)

        return await slow_link(console, 4.0, dom.suspend if flip[0] else dom.resume, shown)

    try:
        return await run_rounds(proxy.uri(), one, rounds, settings)
    finally:
        proxy.close()
        remove_domain(conn, name)
        conn.close()


async def main(rounds: int, down: float, frozen: float, only_slow: bool = False) -> None:
    ensure_libvirtd()
    report: dict[str, dict[str, Any]] = {}
    if only_slow:  # the one scenario that leaves the shared daemon running
        report["slow lossy link"] = await slow_rounds(rounds)
        print(json.dumps({"benchmark": "faults", "scenarios": report}))
        return
    with SshServer() as sshd:
        uri = ssh_uri(sshd)
        reference = raw_open_ms(uri)
        report["no fault (reference)"] = await run_rounds(uri, lambda c: no_fault(c, 5.0), 1)
        report["libvirtd killed"] = await run_rounds(
            SYSTEM_URI,
            lambda c: daemon_killed(c, down),
            rounds,
            dataclasses.replace(FAULT_SETTINGS, reconnect_min=60, reconnect_max=60),
        )
        report["ssh host frozen"] = await run_rounds(
            uri, lambda c: freeze_and_thaw(c, sshd, frozen), rounds
        )
        report["sshd restarted"] = await run_rounds(
            uri, lambda c: sshd_restart(c, sshd, 1.5), rounds
        )
        with SilentListener() as silent:
            report["port never speaks"] = await run_rounds(
                ssh_uri(sshd, port=silent.port), lambda c: silent_host(c, 10.0), 1
            )
        report["slow lossy link"] = await slow_rounds(rounds)
    print(f"raw +ssh open (reference): {reference:.0f} ms; outage {down:g} s, freeze {frozen:g} s")
    head = (
        f"{'scenario':21} {'rounds':>6} {'back p50':>9} {'back max':>9} {'key p50':>8} "
        f"{'key p95':>8} {'key max':>8} {'lost':>5} {'other':>6} {'opens':>6} {'inflt':>6} "
        f"{'ssh':>4} {'left':>5}"
    )
    print(head)
    for name, f in report.items():
        print(
            f"{name:21} {f['rounds']:>6} {f['back_p50_s']:>8.2f}s {f['back_max_s']:>8.2f}s "
            f"{f['key_p50_ms']:>6.1f}ms {f['key_p95_ms']:>6.1f}ms {f['key_max_ms']:>6.1f}ms "
            f"{f['keys_lost']:>5} {f['other_ticks_min']:>6} {f['opens']:>6} "
            f"{f['opens_in_flight_max']:>6} {f['most_ssh']:>4} {f['ssh_left']:>5}"
        )
    print("back: host answering again -> live; other: fewest demo-host ticks in one fault;")
    print("inflt: most opens of one host in flight; ssh: most ssh processes; left: after exit")
    print(
        json.dumps(
            {"benchmark": "faults", "raw_ssh_open_ms": round(reference, 1), "scenarios": report}
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--down", type=float, default=3.0, help="seconds libvirtd stays down")
    parser.add_argument("--frozen", type=float, default=5.0, help="seconds the host is frozen")
    parser.add_argument(
        "--only-slow", action="store_true", help="only the slow lossy link (no daemon kill)"
    )
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.down, args.frozen, args.only_slow))
