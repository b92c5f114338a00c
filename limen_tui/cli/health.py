"""`limen-tui health [--json]`: every configured host's health and state, once, for scripts."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from limen_tui.cli.common import load_config
from limen_tui.config import file as config_file
from limen_tui.config.hosts import HostEntry, HostsConfig
from limen_tui.hosts.health import HealthSample
from limen_tui.hosts.local import LocalSampler
from limen_tui.hosts.thresholds import judge
from limen_tui.model import human_bytes


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="limen-tui health", description="Print every configured host's health once."
    )
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.add_argument("--config", type=Path, default=None, metavar="PATH", help="config file")
    p.add_argument(
        "--interval",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="seconds between the two readings rates come from (default 1)",
    )
    return p


async def _local(interval: float) -> HealthSample:
    sampler = LocalSampler()
    await asyncio.to_thread(sampler.sample)  # primes CPU and I/O counters
    await asyncio.sleep(interval)
    return await asyncio.to_thread(sampler.sample)


async def _remote(entry: HostEntry, config: HostsConfig, interval: float) -> HealthSample:
    from limen_tui.hosts.remote import RemoteHealthStream  # asyncssh: only for a remote host
    from limen_tui.hosts.ssh import SshLink

    assert entry.ssh is not None
    link = SshLink(entry.ssh, config.ssh)
    link.start()
    try:
        conn = await link.connection(config.ssh.connect_timeout + 1)
        stream = RemoteHealthStream(conn, interval)
        await stream.start()
        try:
            limit = config.health.timeout + interval
            await asyncio.wait_for(stream.next_sample(), limit)  # primes the rates
            return await asyncio.wait_for(stream.next_sample(), limit)
        finally:
            stream.close()
    finally:
        await link.stop()


async def collect(config: HostsConfig, interval: float) -> list[dict[str, Any]]:
    hosts = [h for h in config.hosts if h.health] or [HostEntry("localhost", "", None)]

    async def one(entry: HostEntry) -> dict[str, Any]:
        base: dict[str, Any] = {"host": entry.name, "uri": entry.uri}
        try:
            sample = await (
                _local(interval) if entry.ssh is None else _remote(entry, config, interval)
            )
        except Exception as exc:  # unreachable, refused key, timeout: the host is down
            return {**base, "state": "down", "reason": str(exc) or type(exc).__name__}
        verdicts = judge(sample, config.health.thresholds)
        return {
            **base,
            "state": "live",
            "verdict": verdicts.overall.value,
            "sample": asdict(sample),
        }

    return list(await asyncio.gather(*(one(h) for h in hosts)))


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.0f}%"


def run_health(argv: Sequence[str]) -> int:
    args = parser().parse_args(argv)
    try:
        file_config = load_config(args.config)
    except config_file.ConfigError as exc:
        print(f"limen-tui health: {exc}", file=sys.stderr)
        return 2
    config = file_config.hosts or HostsConfig()
    results = asyncio.run(collect(config, args.interval))
    if args.json:
        print(json.dumps({"time": time.time(), "hosts": results}, default=str))
    else:
        for r in results:
            if r["state"] != "live":
                print(f"{r['host']}: down: {r['reason']}")
                continue
            s = r["sample"]
            disks = ", ".join(f"{d['mount']} {_pct(d['pct'])}" for d in s["disks"])
            mem = (
                f"{human_bytes(s['mem_used'])}B/{human_bytes(s['mem_total'])}B"
                if s["mem_used"] is not None and s["mem_total"]
                else "n/a"
            )
            print(
                f"{r['host']}: {r['verdict']}: cpu {_pct(s['cpu_pct'])}, memory "
                f"{_pct(s['mem_pct'])} ({mem}), swap {_pct(s['swap_pct'])}, load "
                f"{s['load1']}, disks {disks or 'n/a'}"
            )
    return 1 if any(r["state"] != "live" for r in results) else 0
