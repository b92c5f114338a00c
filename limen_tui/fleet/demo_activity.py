"""The demo comes alive: made-up counters on every tick, real lifecycle calls every few seconds.

libvirt's test driver reports no CPU, disk or network counters, so a demo of the table would
show n/a everywhere. In demo mode only (a `--demo` host on the test driver), each running VM
gets plausible, varied figures, marked `made_up` on the row (the screen and `--json` say so);
and a VM is paused or resumed every few seconds through the test driver itself, so events flow
through the real event path. Never for a real host: `DemoActivity.for_host` refuses any URI
that is not the test driver.
"""

from __future__ import annotations

import hashlib
import math
import random
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace

from limen_tui.model import DomainRow, PowerState

STEP_EVERY_S = 4.0
"""Seconds between two lifecycle calls of the demo."""

_MIB = 1024 * 1024


def _seed(uuid: str) -> int:
    return int.from_bytes(hashlib.blake2b(uuid.encode(), digest_size=8).digest(), "big")


class DemoActivity:
    def __init__(self, seed: int = 7) -> None:
        self._rng = random.Random(seed)
        self._paused_by_us: list[str] = []
        self.cpu_s = 0.0
        """CPU time spent making up figures (the benchmarks take it out of the console's)."""

    @staticmethod
    def allowed(uri: str) -> bool:
        """Only libvirt's test driver: a real host never gets made-up figures."""
        return uri.startswith("test:") or uri.startswith("test+")

    def counters(self, rows: Iterable[DomainRow], at: float) -> list[DomainRow]:
        """Made-up figures for the moment `at` (seconds): each running VM a slow wave around a
        level of its own, so VMs differ and move; a paused one the demo had figures for, zero."""
        started = time.thread_time()
        try:
            return self._counters(rows, at)
        finally:
            self.cpu_s += time.thread_time() - started

    def _counters(self, rows: Iterable[DomainRow], at: float) -> list[DomainRow]:
        shown = []
        for row in rows:
            if row.state is PowerState.PAUSED and not row.made_up:
                continue  # paused before the demo began: nothing of ours to clear
            if row.state is PowerState.PAUSED:  # a paused VM uses no CPU, disk or network
                shown.append(
                    replace(
                        row,
                        cpu_pct=0.0,
                        cpu_host_pct=0.0,
                        disk_rd_bps=0.0,
                        disk_wr_bps=0.0,
                        disk_rd_iops=0.0,
                        disk_wr_iops=0.0,
                        net_rx_bps=0.0,
                        net_tx_bps=0.0,
                        steal_pct=0.0,
                        disk_latency_ms=None,  # no request completed
                        net_pps=0.0,
                        net_drops_ps=0.0,
                    )
                )
                continue
            if row.state is not PowerState.RUNNING:
                continue
            s = _seed(row.uuid)
            level = 5 + s % 70  # this VM's usual CPU %
            phase = (s >> 8) % 628 / 100
            wave = math.sin(at / (20 + s % 40) + phase)
            cpu = max(0.0, min(100.0, level + 20 * wave))
            io = (1 + wave) * ((s >> 16) % 40 + 1) * _MIB / 4
            net = (1 + math.cos(at / 17 + phase)) * ((s >> 24) % 20 + 1) * _MIB / 8
            mem = row.mem_current_kib or row.mem_max_kib or 0
            # a few VMs starved of host CPU, most barely; a few with slow disks or dropping
            steal = (s >> 32) % 100
            steal_pct = (8 + steal % 12) * (1 + wave) / 2 if steal < 15 else steal % 20 / 10
            steal_pct *= min(1.0, cpu / 20)  # an idle vCPU waits for nothing
            latency = 0.3 + (s >> 40) % 25 / 5 + (12.0 if (s >> 40) % 11 == 0 else 0.0)
            drops = 1 + (s >> 48) % 3 if (s >> 48) % 7 == 0 else 0
            shown.append(
                replace(
                    row,
                    cpu_pct=round(cpu, 1),
                    cpu_host_pct=round(cpu * (row.vcpus or 1) / 64, 2),
                    mem_used_kib=int(mem * (0.4 + 0.3 * (1 + wave) / 2)) if mem else None,
                    disk_rd_bps=io,
                    disk_wr_bps=io / 2,
                    disk_rd_iops=io / 65536,
                    disk_wr_iops=io / 131072,
                    net_rx_bps=net,
                    net_tx_bps=net / 3,
                    steal_pct=round(steal_pct, 1),
                    disk_latency_ms=round(latency * (1.2 + wave / 5), 2) if io >= 65536 else None,
                    net_pps=(net + net / 3) / (300 + (s >> 52) % 1200),
                    net_drops_ps=round(drops * (1 + wave), 1),
                    made_up=True,
                )
            )
        return shown

    def next_step(self, rows: Mapping[str, DomainRow]) -> tuple[str, str] | None:
        """(uuid, "pause" or "resume") for the next lifecycle call, or None when there is
        nothing to do: resume what the demo paused before, else pause a running VM."""
        self._paused_by_us = [u for u in self._paused_by_us if u in rows]
        if self._paused_by_us and self._rng.random() < 0.6:
            uuid = self._paused_by_us.pop(0)
            if rows[uuid].state is PowerState.PAUSED:
                return uuid, "resume"
        running = sorted(u for u, r in rows.items() if r.state is PowerState.RUNNING)
        if not running:
            return None
        uuid = self._rng.choice(running)
        self._paused_by_us.append(uuid)
        return uuid, "pause"
