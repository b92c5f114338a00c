"""Benchmark: the console at 48, 1,000 and 10,000 VMs and 10 hosts x 1,000, in a real terminal.

Each fleet is libvirt's test driver behind the running libvirtd (`test+unix://FILE`, real RPC),
with every running VM's counters moving: the demo's made-up counters (fleet/demo_activity.py,
test-driver hosts only, which also pauses and resumes a VM every few seconds through the
driver, so events flow). The console runs as an operator runs it, in tmux at 120x40, and is
measured from outside: time to the first row on screen (cold cache, then warm: the second
start reads the last-known fleet), its CPU over a window (psutil), its RSS, and the bytes it
writes to the terminal (tmux pipe-pane). At exit it reports the UI time of each tick applied.

References, measured in the same run: htop in the same tmux size (CPU and bytes/s of a
terminal program that repaints every 1.5 s), and the raw `getAllDomainStats` on each fleet.

Prints a table and one JSON line. Run: .venv/bin/python -m benchmarks.scale [--window 60]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import libvirt
import psutil

from limen_tui.demo import write_fleet
from limen_tui.virt.collector import NOWAIT
from limen_tui.virt.stats import TABLE_GROUPS
from tests.harness.libvirtd import ensure_libvirtd

SESSION = "limen-bench-scale"
FLEETS = {"48": [48], "1000": [1000], "10000": [10000], "10x1000": [1000] * 10}


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


def _start(command: list[str], env: dict[str, str], out: Path) -> int:
    _tmux("kill-session", "-t", SESSION)
    line = " ".join(shlex.quote(a) for a in command)
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", SESSION, "-x", "120", "-y", "40",
         f"exec env -u COLUMNS -u LINES {exports} {line}"],
        check=True,
    )  # fmt: skip
    _tmux("pipe-pane", "-t", SESSION, f"cat >> {shlex.quote(str(out))}")
    return int(_tmux("display", "-p", "-t", SESSION, "#{pane_pid}").strip())


def _screen() -> str:
    return _tmux("capture-pane", "-p", "-t", SESSION)


def _until(check: Any, limit: float) -> float:
    started = time.perf_counter()
    while not check(_screen()):
        if time.perf_counter() - started > limit:
            raise TimeoutError(f"not within {limit:.0f}s:\n{_screen()}")
        time.sleep(0.02)
    return time.perf_counter() - started


def _window(pid: int, out: Path, seconds: float) -> dict[str, float]:
    proc = psutil.Process(pid)
    cpu0, bytes0, t0 = sum(proc.cpu_times()[:2]), out.stat().st_size, time.perf_counter()
    time.sleep(seconds)
    cpu1, bytes1, t1 = sum(proc.cpu_times()[:2]), out.stat().st_size, time.perf_counter()
    return {
        "cpu_pct": 100 * (cpu1 - cpu0) / (t1 - t0),
        "rss_mb": proc.memory_info().rss / 2**20,
        "out_bytes_s": (bytes1 - bytes0) / (t1 - t0),
    }


def raw_bulk_ms(uris: list[str]) -> float:
    times = []
    for uri in uris:
        conn = libvirt.openReadOnly(uri)
        try:
            for _ in range(5):
                t0 = time.perf_counter()
                conn.getAllDomainStats(TABLE_GROUPS, NOWAIT)
                times.append((time.perf_counter() - t0) * 1000)
        finally:
            conn.close()
    return statistics.median(times)


def raw_open_s(uri: str) -> float:
    """The reference for a cold start: libvirt's open of the URI and its first bulk call
    (the test driver parses its whole fleet file for every connection)."""
    t0 = time.perf_counter()
    conn = libvirt.openReadOnly(uri)
    try:
        conn.getAllDomainStats(TABLE_GROUPS, NOWAIT)
    finally:
        conn.close()
    return time.perf_counter() - t0


def console(
    uris: list[str], window: float, work: Path, first_name: str, settle: float = 10.0
) -> dict[str, Any]:
    env = {
        "XDG_CACHE_HOME": str(work / "cache"),
        "XDG_CONFIG_HOME": str(work / "config"),
        "XDG_STATE_HOME": str(work / "state"),
    }
    report = work / "report.json"
    result: dict[str, Any] = {}
    for start in ("cold", "warm"):
        out = work / f"out-{start}.bin"
        out.touch()
        argv = [sys.executable, "-m", "benchmarks.scale", "--run-console", str(report), *uris]
        t0 = time.perf_counter()
        pid = _start(argv, env, out)
        _until(lambda s: first_name in s, 120)
        result[f"first_row_{start}_s"] = time.perf_counter() - t0
        # Live: every host's line says live (or the summary counts them all live).
        _until(lambda s: "showing the last known" not in s and ("live" in s), 120)
        # Past the first ticks, and (warm) long enough for the self-cost budget to settle.
        time.sleep(settle if start == "warm" else min(10.0, window / 3))
        if start == "warm":
            result.update(_window(pid, out, window))
        _tmux("send-keys", "-t", SESSION, "q")
        deadline = time.time() + 30
        while psutil.pid_exists(pid) and time.time() < deadline:
            time.sleep(0.1)
        _tmux("kill-session", "-t", SESSION)
    ticks = json.loads(report.read_text())
    samples = sorted(ticks["apply_ms"]) or [0.0]
    result["ui_tick_p50_ms"] = samples[len(samples) // 2]
    result["ui_tick_p95_ms"] = samples[int(len(samples) * 0.95)]
    result["ticks"] = len(ticks["apply_ms"])
    result["refresh_s"] = ticks["interval_s"]
    # The test-only source of moving counters runs in the console's process: its share of
    # the process's CPU is taken out for the console's own figure.
    result["made_up_share"] = ticks["made_up_share"]
    if "cpu_pct" in result:
        result["console_cpu_pct"] = result["cpu_pct"] * (1 - ticks["made_up_share"])
    return result


def htop(window: float, work: Path) -> dict[str, float]:
    if shutil.which("htop") is None:
        return {}
    out = work / "htop.bin"
    out.touch()
    pid = _start(["htop"], {}, out)
    time.sleep(3)
    figures = _window(pid, out, window)
    _tmux("kill-session", "-t", SESSION)
    return figures


def run_console(report: str, uris: list[str]) -> None:
    """The console as `limen-tui -c URI...` makes it (host health on, the refresh stretched
    when over its self-cost budget), its test-driver hosts alive; writes the UI time of each
    tick applied and the refresh intervals it ran at to `report` at exit."""
    from limen_tui.cli.factory import make_app
    from limen_tui.config.settings import Settings
    from limen_tui.store.cache import Cache

    with Cache() as cache:
        app = make_app(
            uris, Settings(), cache=cache, demo_activity=True, health=True, stretch_refresh=True
        )
        app.run()
        fleet = app.fleet
        interval = fleet.pace.interval if fleet else None
        hosts = fleet.hosts.values() if fleet else []
        made_up = sum(h.activity.cpu_s for h in hosts if h.activity is not None)
        Path(report).write_text(
            json.dumps(
                {
                    "apply_ms": list(app.main.apply_ms),
                    "interval_s": interval,
                    "made_up_share": made_up / max(time.process_time(), 1e-9),
                }
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description="the console at scale, in tmux")
    parser.add_argument("--window", type=float, default=60.0, help="seconds of CPU measured")
    parser.add_argument("--fleets", default=",".join(FLEETS), help="of " + ",".join(FLEETS))
    parser.add_argument(
        "--settle", type=float, default=10.0, help="seconds before the window (the budget's)"
    )
    parser.add_argument("--run-console", nargs="+", metavar=("REPORT", "URI"))
    args = parser.parse_args()
    if args.run_console:
        run_console(args.run_console[0], args.run_console[1:])
        return
    ensure_libvirtd()
    results = []
    with tempfile.TemporaryDirectory(prefix="limen-scale-") as tmp:
        work = Path(tmp)
        os.chmod(work, 0o755)  # libvirtd reads the fleet files
        reference = htop(args.window, work)
        for name in args.fleets.split(","):
            sizes = FLEETS[name]
            uris = [
                "test+unix://" + str(write_fleet(work / f"{name}-{i}.xml", n))
                for i, n in enumerate(sizes)
            ]
            run = work / name
            run.mkdir()
            figures = console(uris, args.window, run, "app-0", args.settle)
            figures.update(
                fleet=name,
                vms=sum(sizes),
                raw_bulk_ms=raw_bulk_ms(uris),
                raw_open_s=raw_open_s(uris[0]),
            )
            results.append(figures)
    print(
        f"{'fleet':>8} {'VMs':>6} {'CPU %':>6} {'own %':>6} {'RSS MB':>7} {'out B/s':>8} "
        f"{'1st row cold':>12} {'warm':>6} {'UI tick p50':>11} {'p95':>7} {'raw bulk':>9} "
        f"{'refresh':>7} {'raw open':>8}"
    )
    for r in results:
        print(
            f"{r['fleet']:>8} {r['vms']:>6} {r['cpu_pct']:>6.2f} {r['console_cpu_pct']:>6.2f} "
            f"{r['rss_mb']:>7.0f} "
            f"{r['out_bytes_s']:>8.0f} {r['first_row_cold_s']:>11.2f}s "
            f"{r['first_row_warm_s']:>5.2f}s {r['ui_tick_p50_ms']:>9.2f}ms "
            f"{r['ui_tick_p95_ms']:>5.2f}ms {r['raw_bulk_ms']:>7.2f}ms {r['refresh_s']:>6.1f}s "
            f"{r['raw_open_s']:>7.2f}s"
        )
    if reference:
        print(
            f"htop at 120x40 (reference): CPU {reference['cpu_pct']:.2f}%, "
            f"{reference['out_bytes_s']:.0f} B/s, RSS {reference['rss_mb']:.0f} MB"
        )
    print(json.dumps({"benchmark": "scale", "window_s": args.window, "htop": reference,
                      "results": results}))  # fmt: skip


if __name__ == "__main__":
    main()
