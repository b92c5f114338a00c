"""Benchmark: what watching N real Linux guests costs the watched host, console against virsh.

Boots N real guests (the harness's cloud kernel + busybox + qemu-ga, TCG; default 4, by hand
``--guests 8``), then measures, in the same run and for the same number of ticks at the same
interval, the CPU time of libvirtd and of the guests' QEMU processes (utime + stime from
/proc) while:
  - nothing watches (the baseline, taken before and after, averaged);
  - the console's collector ticks (``DomainCollector.collect``: one ``getAllDomainStats`` of
    the table's groups, with NOWAIT, parsing, rates and diff);
  - a ``virsh domstats`` loop of the same groups runs (one virsh process per interval, as an
    operator's ``watch virsh domstats`` does).
The cost per tick is the CPU above the baseline divided by the ticks; the console's own CPU
and virsh's are shown beside it. ``--per-group`` adds one raw ``getAllDomainStats`` window per
stats group, to see which group the host pays for.

Prints a table and one JSON line. Run: .venv/bin/python -m benchmarks.real_guests [--guests 8]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from subprocess import DEVNULL

import libvirt

from limen_tui.virt import stats
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.collector import NOWAIT, DomainCollector
from limen_tui.virt.vm_stats import read_vm_sample
from tests.harness.domstats import TABLE_GROUP_OPTIONS
from tests.harness.guest_image import guest_boot
from tests.harness.libvirtd import (
    SYSTEM_URI,
    ensure_libvirtd,
    libvirtd_pids,
    sweep_leftover_domains,
)
from tests.harness.linux_guest import (
    LinuxGuest,
    linux_guests,
    sweep_leftover_images,
    sweep_leftover_taps,
)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
QEMU_PID_DIR = Path("/run/libvirt/qemu")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the comm: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def qemu_pid(name: str) -> int:
    return int((QEMU_PID_DIR / f"{name}.pid").read_text().strip())


def window(
    action: Callable[[], None], ticks: int, interval: float, daemon: int, qemus: list[int]
) -> dict[str, float]:
    """Run ``action`` every ``interval`` for ``ticks`` ticks; CPU seconds spent meanwhile."""
    d0, q0 = cpu_seconds(daemon), sum(cpu_seconds(p) for p in qemus)
    own0 = time.process_time()
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    walls = []
    deadline = time.monotonic()
    for _ in range(ticks):
        t0 = time.perf_counter()
        action()
        walls.append(time.perf_counter() - t0)
        deadline += interval
        time.sleep(max(0.0, deadline - time.monotonic()))  # the tick interval
    kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "libvirtd_s": cpu_seconds(daemon) - d0,
        "qemu_s": sum(cpu_seconds(p) for p in qemus) - q0,
        "own_s": time.process_time() - own0,
        "virsh_s": (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime),
        "wall_ms": statistics.median(walls) * 1000,
    }


GROUPS = {
    "state": stats.STATS_STATE,
    "cpu-total": stats.STATS_CPU_TOTAL,
    "balloon": stats.STATS_BALLOON,
    "vcpu": stats.STATS_VCPU,
    "interface": stats.STATS_INTERFACE,
    "block": stats.STATS_BLOCK,
}


class DaemonRestarted(RuntimeError):
    """libvirtd was restarted during a window (another test run's doing): measure it again."""


Windows = dict[str, dict[str, float]]
RESTART_ERRORS = (libvirt.libvirtError, subprocess.CalledProcessError, DaemonRestarted)
WINDOW_TRIES = 8


class Watchers:
    """What each window runs, on a connection opened again after a daemon restart."""

    def __init__(self, opened: str) -> None:
        self.conn = libvirt.open(SYSTEM_URI)
        self.opened = opened
        """The guest whose VM screen is open in the "+ VM screen" windows."""
        self.opened_uuid = self.conn.lookupByName(opened).UUIDString()
        self.collector = DomainCollector(self.conn, "bench", os.cpu_count(), CallCounter())
        self.collector.collect()
        self.argv = ["virsh", "-q", "-c", SYSTEM_URI, "domstats", "--raw", *TABLE_GROUP_OPTIONS]

    def close(self) -> None:
        with contextlib.suppress(libvirt.libvirtError):
            self.conn.close()

    def actions(self, per_group: bool) -> dict[str, Callable[[], None]]:
        def idle() -> None:
            pass

        def console() -> None:
            self.collector.collect()

        def virsh() -> None:
            subprocess.run(self.argv, check=True, stdout=subprocess.DEVNULL)

        def console_vm_screen() -> None:
            # The table's tick for every VM, and the VM screen's per-device read of one.
            self.collector.collect()
            read_vm_sample(self.conn, self.opened_uuid, CallCounter(), {})

        def virsh_vm_screen() -> None:
            virsh()
            one = ["virsh", "-q", "-c", SYSTEM_URI]
            subprocess.run([*one, "domstats", "--raw", self.opened], check=True, stdout=DEVNULL)
            subprocess.run([*one, "domblkinfo", self.opened, "--all"], check=True, stdout=DEVNULL)

        def raw(flag: int) -> Callable[[], None]:
            def call() -> None:
                self.conn.getAllDomainStats(flag, NOWAIT)

            return call

        actions = {
            "idle before": idle,
            "console": console,
            "virsh": virsh,
            "console + VM screen": console_vm_screen,
            "virsh + VM screen": virsh_vm_screen,
        }
        if per_group:
            actions.update({f"raw {group}": raw(flag) for group, flag in GROUPS.items()})
        actions["idle after"] = idle
        return actions


def measure_windows(
    guests: list[LinuxGuest], ticks: int, interval: float, per_group: bool
) -> tuple[Windows, int, int]:
    """Idle, console, virsh (and per-group) windows, then idle again. A window that a daemon
    restart hit is measured again on a fresh connection; returns the windows, the running
    domains and how many windows were measured again."""
    qemus = [qemu_pid(g.name) for g in guests]
    watchers = Watchers(guests[0].name)
    windows: Windows = {}
    again = 0
    try:
        domains = len(watchers.conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE))
        for what in watchers.actions(per_group):
            for attempt in range(WINDOW_TRIES):
                try:
                    [daemon] = libvirtd_pids()[:1]
                    action = watchers.actions(per_group)[what]
                    windows[what] = window(action, ticks, interval, daemon, qemus)
                    if libvirtd_pids()[:1] != [daemon]:
                        raise DaemonRestarted(what)
                    break
                except (*RESTART_ERRORS, ValueError):
                    if attempt == WINDOW_TRIES - 1:
                        raise
                    again += 1
                    watchers.close()
                    ensure_libvirtd()
                    watchers = Watchers(guests[0].name)
        return windows, domains, again
    finally:
        watchers.close()


def run(guests: int, ticks: int, interval: float, per_group: bool) -> dict[str, object]:
    ensure_libvirtd()
    boot = guest_boot()
    conn = libvirt.open(SYSTEM_URI)
    try:
        # What a killed earlier run left behind (domains, taps, images of dead processes).
        sweep_leftover_domains(conn)
        sweep_leftover_taps()
        sweep_leftover_images()
        t0 = time.monotonic()
        with linux_guests(conn, guests, "bench", boot=boot) as booted:
            boot_s = time.monotonic() - t0
            measured, domains, again = measure_windows(booted, ticks, interval, per_group)
    finally:
        with contextlib.suppress(libvirt.libvirtError):
            conn.close()
    before, after = measured.pop("idle before"), measured.pop("idle after")
    base = {k: (before[k] + after[k]) / 2 for k in ("libvirtd_s", "qemu_s")}
    # How far the two idle windows differ: a cost below this is not told apart from nothing.
    noise = {
        k.removesuffix("_s"): round(abs(before[k] - after[k]) / ticks * 1000, 2)
        for k in ("libvirtd_s", "qemu_s")
    }
    results: dict[str, dict[str, float]] = {}
    for what, m in measured.items():
        results[what] = {
            "libvirtd_ms_per_tick": (m["libvirtd_s"] - base["libvirtd_s"]) / ticks * 1000,
            "qemu_ms_per_tick": (m["qemu_s"] - base["qemu_s"]) / ticks * 1000,
            "watcher_ms_per_tick": (m["virsh_s"] if what.startswith("virsh") else m["own_s"])
            / ticks
            * 1000,
            "wall_ms": m["wall_ms"],
        }
    return {
        "benchmark": "real_guests",
        "guests": guests,
        "active_domains": domains,
        "ticks": ticks,
        "interval_s": interval,
        "boot_all_s": round(boot_s, 1),
        "windows_measured_again": again,
        "baseline_cpu_pct": {
            k.removesuffix("_s"): round(v / (ticks * interval) * 100, 2) for k, v in base.items()
        },
        "idle_noise_ms_per_tick": noise,
        "results": {w: {k: round(v, 2) for k, v in r.items()} for w, r in results.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guests", type=int, default=4)
    parser.add_argument("--ticks", type=int, default=20)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--per-group", action="store_true")
    args = parser.parse_args()
    out = run(args.guests, args.ticks, args.interval, args.per_group)
    results = out["results"]
    assert isinstance(results, dict)
    print(
        f"{out['guests']} real guests ({out['active_domains']} running domains on the host), "
        f"{out['ticks']} ticks every {out['interval_s']} s; idle CPU % {out['baseline_cpu_pct']}, "
        f"idle noise ms/tick {out['idle_noise_ms_per_tick']}"
    )
    print(
        f"{'watcher':<20} {'libvirtd ms/tick':>17} {'QEMU ms/tick':>13} "
        f"{'watcher ms/tick':>16} {'wall ms':>8}"
    )
    for what, r in results.items():
        print(
            f"{what:<20} {r['libvirtd_ms_per_tick']:>17.1f} {r['qemu_ms_per_tick']:>13.1f} "
            f"{r['watcher_ms_per_tick']:>16.1f} {r['wall_ms']:>8.1f}"
        )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
