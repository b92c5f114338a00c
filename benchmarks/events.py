"""Benchmark: what an event costs the console, under storms of 10 and 100 events a second.

Real Linux guests (TCG, busybox initramfs, as in the tests) on this machine's libvirtd are
paused and resumed at a set rate by this process; the console runs as an operator runs it, in
tmux at 120x40, watching `qemu:///system`, and is measured from outside: its CPU over each
window (psutil), the bytes it writes to the terminal (tmux pipe-pane). The quiet window is its
cost with no events; the cost of an event is the difference over the rate.

Reference in the same run: `virsh event --all --loop` receiving the same storm (it prints a
line per event and does nothing else), measured the same way.

Prints a table and one JSON line. Run: .venv/bin/python -m benchmarks.events [--window 30]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import libvirt
import psutil

from benchmarks.scale import SESSION, _start, _tmux, _until, _window
from benchmarks.soak import Churn
from tests.harness.libvirtd import SYSTEM_URI, ensure_libvirtd
from tests.harness.linux_guest import linux_guests

RATES = (0.0, 10.0, 100.0)


def _measure(pid: int, out: Path, churn: Churn, window: float) -> list[dict[str, float]]:
    rows = []
    for rate in RATES:
        sent0 = churn.sent
        if rate:
            churn.rate = rate
            with churn.running():
                figures = _window(pid, out, window)
        else:
            figures = _window(pid, out, window)
        figures["rate"] = rate
        figures["events"] = churn.sent - sent0
        rows.append(figures)
    churn.resume_all()
    quiet = rows[0]["cpu_pct"]
    for r in rows:
        # CPU % of a core is 10 ms per second: the extra ms per second over the events/s.
        per_s = r["events"] / window
        r["cpu_ms_per_event"] = (r["cpu_pct"] - quiet) * 10 / per_s if per_s else 0.0
    return rows


def console(churn: Churn, window: float, work: Path) -> list[dict[str, float]]:
    env = {
        "XDG_CACHE_HOME": str(work / "cache"),
        "XDG_CONFIG_HOME": str(work / "config"),
        "XDG_STATE_HOME": str(work / "state"),
    }
    out = work / "console.bin"
    out.touch()
    argv = [sys.executable, "-m", "benchmarks.scale", "--run-console", str(work / "r.json")]
    pid = _start([*argv, SYSTEM_URI], env, out)
    try:
        _until(lambda s: "live" in s, 60)
        time.sleep(10)  # past the first ticks
        return _measure(pid, out, churn, window)
    finally:
        _tmux("send-keys", "-t", SESSION, "q")
        deadline = time.time() + 30
        while psutil.pid_exists(pid) and time.time() < deadline:
            time.sleep(0.1)
        _tmux("kill-session", "-t", SESSION)


def virsh(churn: Churn, window: float, work: Path) -> list[dict[str, float]]:
    out = work / "virsh.bin"
    out.touch()
    pid = _start(["virsh", "-c", SYSTEM_URI, "event", "--all", "--loop"], {}, out)
    try:
        time.sleep(2)
        # The pane's process is `env`'s exec of virsh: the same pid.
        return _measure(pid, out, churn, window)
    finally:
        _tmux("kill-session", "-t", SESSION)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=30.0, help="seconds per rate")
    parser.add_argument("--guests", type=int, default=4)
    args = parser.parse_args()
    ensure_libvirtd()
    conn = libvirt.open(SYSTEM_URI)
    with (
        tempfile.TemporaryDirectory(prefix="limen-events-") as tmp,
        linux_guests(conn, args.guests, "storm") as guests,
    ):
        work = Path(tmp)
        churn = Churn([g.dom for g in guests], [], 10.0)
        results = {"console": console(churn, args.window, work)}
        results["virsh event"] = virsh(churn, args.window, work)
    conn.close()
    head = ("watcher", "events/s", "sent", "CPU %", "ms/event", "out B/s")
    print(f"{head[0]:>12} {head[1]:>8} {head[2]:>6} {head[3]:>6} {head[4]:>8} {head[5]:>8}")
    for who, rows in results.items():
        for r in rows:
            print(
                f"{who:>12} {r['rate']:>8.0f} {r['events']:>6.0f} {r['cpu_pct']:>6.2f} "
                f"{r['cpu_ms_per_event']:>8.2f} {r['out_bytes_s']:>8.0f}"
            )
    record: dict[str, Any] = {"benchmark": "events", "window_s": args.window, **results}
    print(json.dumps(record))


if __name__ == "__main__":
    try:
        main()
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"events benchmark: {exc}") from exc
