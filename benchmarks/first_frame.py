"""Benchmark: time to the first frame in a real terminal, with hosts that never answer.

The console runs as an operator starts it, in tmux at 120x40 (`limen-tui -c URI -c URI`, the
default connect timeout). Each silent host is a TCP port on 127.0.0.1 that accepts and never
speaks, so libvirt's open hangs. The first frame is the moment the host line shows both hosts.
The references, measured in the same run: the same console on the demo alone (nothing to wait
for), and what a start-up that probed the hosts one after another before painting waited:
the connect timeout per silent host.

Prints a table and one JSON line. Run: .venv/bin/python -m benchmarks.first_frame
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from collections.abc import Callable

from limen_tui.config.settings import Settings
from tests.harness.sshd import SilentListener

SESSION = "limen-bench-first-frame"


def _screen() -> str:
    out = subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", SESSION], capture_output=True, text=True, check=False
    )
    return out.stdout


def time_to(argv: list[str], shown: Callable[[str], bool], limit: float = 60.0) -> float:
    """Seconds from starting `argv` in tmux until the screen satisfies `shown`."""
    subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True, check=False)
    command = " ".join(shlex.quote(a) for a in argv)
    started = time.perf_counter()
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", SESSION, "-x", "120", "-y", "40", command],
        check=True,
    )
    try:
        while not shown(_screen()):
            if time.perf_counter() - started > limit:
                raise TimeoutError(f"no first frame within {limit:.0f}s:\n{_screen()}")
            time.sleep(0.01)
        return time.perf_counter() - started
    finally:
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description="time to the first frame with silent hosts")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    console = [sys.executable, "-m", "limen_tui"]
    timeout = Settings().connect_timeout
    silent = [SilentListener(), SilentListener()]
    uris = [f"qemu+tcp://127.0.0.1:{s.port}/system" for s in silent]
    try:
        demo = [time_to([*console, "--demo"], lambda s: "demo" in s) for _ in range(args.runs)]
        hosts = [a for u in uris for a in ("-c", u)]
        two = [
            time_to([*console, *hosts], lambda s: all(f":{p.port}" in s for p in silent))
            for _ in range(args.runs)
        ]
    finally:
        for s in silent:
            s.close()
    serial_wait = timeout * len(silent)
    rows = [
        ("demo alone (reference)", min(demo), max(demo)),
        ("two silent hosts", min(two), max(two)),
        ("probing first, one by one (reference)", serial_wait, serial_wait),
    ]
    print(f"{'start-up':40} {'best s':>8} {'worst s':>8}")
    for name, best, worst in rows:
        print(f"{name:40} {best:8.2f} {worst:8.2f}")
    print(
        json.dumps(
            {
                "benchmark": "first_frame",
                "connect_timeout_s": timeout,
                "demo_s": min(demo),
                "two_silent_hosts_s": min(two),
                "two_silent_hosts_worst_s": max(two),
                "serial_probe_wait_s": serial_wait,
            }
        )
    )


if __name__ == "__main__":
    main()
