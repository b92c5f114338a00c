"""Benchmark: what host health costs, locally and over SSH, and how fast a dead host shows.

Measured in one run, against a throwaway sshd on 127.0.0.1 (tests/harness/sshd.py):
  - local: one `LocalSampler.sample()` (psutil), the reference being one raw
    `psutil.cpu_times(percpu=True)` read;
  - remote: one sample from the stream (script round on the host + parsing), against the
    physical reference one sample per exec would pay: opening one SSH session (`run("true")`);
  - parsing one block of /proc text on the console's side;
  - reconnect: sshd stopped and started again -> the link is live again (the first retry
    comes `reconnect_min` = 1 s after the loss; measured from the restart);
  - time to "down": nothing listening (refused), a listener that never speaks (the connect
    timeout) and a host frozen mid-stream (the monitor's sample timeout).

Prints a table and one JSON line. Run: .venv/bin/python -m benchmarks.health
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Callable

import psutil

from limen_tui.hosts.local import LocalSampler
from limen_tui.hosts.monitor import HealthMonitor, HealthSettings, HealthUpdate, HealthUpdated
from limen_tui.hosts.procfs import parse_block
from limen_tui.hosts.remote import BEGIN, END, RemoteHealthStream, health_command
from limen_tui.hosts.ssh import SshLink, SshSettings, SshTarget
from limen_tui.model import LinkState
from tests.harness.sshd import SilentListener, SshServer, free_port


def _ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _p95_ms(samples: list[float]) -> float:
    return sorted(samples)[int(len(samples) * 0.95) - 1] * 1000


def measure_local(repeats: int) -> dict[str, float]:
    sampler = LocalSampler()
    sampler.sample()
    raw, full = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        psutil.cpu_times(percpu=True)
        raw.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        sampler.sample()
        full.append(time.perf_counter() - t0)
    return {
        "cpu_times_ms": _ms(raw),
        "sample_ms": _ms(full),
        "sample_p95_ms": _p95_ms(full),
    }


def _target(server: SshServer, name: str = "bench", port: int | None = None) -> SshTarget:
    return SshTarget(
        name,
        server.host,
        port or server.port,
        server.user,
        server.key_path,
        server.known_hosts_path,
    )


async def measure_remote(server: SshServer, repeats: int) -> dict[str, float]:
    settings = SshSettings(connect_timeout=5, ssh_config=None)
    link = SshLink(_target(server), settings)
    link.start()
    try:
        conn = await link.connection(10)
        exec_cost = []
        for _ in range(max(5, repeats // 4)):
            t0 = time.perf_counter()
            await conn.run("true", check=True)
            exec_cost.append(time.perf_counter() - t0)
        # The block's own time on the host: from its begin marker to its end marker.
        process = await conn.create_process(health_command(0.05))
        rounds: list[float] = []
        block: list[str] = []
        lines: list[str] = []
        began = 0.0
        while len(rounds) < repeats:
            line = (await process.stdout.readline()).rstrip("\n")
            if line == BEGIN:
                began, lines = time.perf_counter(), []
            elif line == END and began:
                rounds.append(time.perf_counter() - began)
                block = lines
            else:
                lines.append(line)
        process.close()
        parse = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            parse_block(block, arrived=0.0, wall=0.0)
            parse.append(time.perf_counter() - t0)
        stream = RemoteHealthStream(conn, 0.05)
        t0 = time.perf_counter()
        await stream.start()
        await stream.next_sample()
        first = time.perf_counter() - t0
        stream.close()
        return {
            "exec_per_sample_ms": _ms(exec_cost),
            "stream_round_ms": _ms(rounds),
            "parse_ms": _ms(parse),
            "block_kib": sum(len(x) + 1 for x in block) / 1024,
            "first_sample_ms": first * 1000,
        }
    finally:
        await link.stop()


async def _until(check: Callable[[], bool], within: float) -> float:
    t0 = time.perf_counter()
    while not check():
        if time.perf_counter() - t0 > within:
            raise TimeoutError
        await asyncio.sleep(0.005)
    return time.perf_counter() - t0


async def measure_failures(server: SshServer) -> dict[str, float]:
    settings = SshSettings(connect_timeout=2, keepalive_interval=1, ssh_config=None)
    health = HealthSettings(interval=0.5, timeout=2.0)
    out: dict[str, float] = {}

    link = SshLink(_target(server), settings)
    link.start()
    await link.connection(10)
    await asyncio.to_thread(server.stop)
    await _until(lambda: link.status.state is LinkState.DOWN, 10)
    await asyncio.to_thread(server.start)
    out["reconnect_s"] = await _until(lambda: link.status.state is LinkState.LIVE, 40)
    await link.stop()

    refused = SshLink(_target(server, "refused", free_port()), settings)
    refused.start()
    out["refused_down_s"] = await _until(lambda: refused.status.state is LinkState.DOWN, 10)
    await refused.stop()

    with SilentListener() as mute:
        quiet = SshLink(_target(server, "mute", mute.port), settings)
        quiet.start()
        out["mute_down_s"] = await _until(lambda: quiet.status.state is LinkState.DOWN, 10)
        await quiet.stop()

    samples: list[HealthUpdate] = []
    link = SshLink(_target(server), settings)
    monitor = HealthMonitor.remote(link, samples.append, health)
    monitor.start()
    await _until(lambda: any(isinstance(u, HealthUpdated) for u in samples), 10)
    await asyncio.to_thread(server.freeze)
    try:
        out["frozen_down_s"] = await _until(lambda: monitor.state is LinkState.DOWN, 10)
    finally:
        await asyncio.to_thread(server.thaw)
    await monitor.stop()
    await link.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    local = measure_local(args.repeats)
    with SshServer() as server:
        remote = asyncio.run(measure_remote(server, args.repeats))
        failures = asyncio.run(measure_failures(server))
    print(f"{'what':<52} {'median':>10}")
    print(
        f"{'psutil.cpu_times(percpu=True) (local reference)':<52} {local['cpu_times_ms']:>7.2f} ms"
    )
    print(
        f"{'LocalSampler.sample()':<52} {local['sample_ms']:>7.2f} ms"
        f"  (p95 {local['sample_p95_ms']:.2f} ms)"
    )
    print(
        f"{'one SSH exec, run(true) (remote reference)':<52} "
        f"{remote['exec_per_sample_ms']:>7.1f} ms"
    )
    print(
        f"{'one streamed round on the host (begin..end)':<52} {remote['stream_round_ms']:>7.1f} ms"
    )
    print(
        f"{'parse one block (console side)':<52} {remote['parse_ms']:>7.2f} ms"
        f"  ({remote['block_kib']:.1f} KiB of text)"
    )
    print(f"{'stream start -> first sample':<52} {remote['first_sample_ms']:>7.1f} ms")
    print(f"{'sshd restarted -> link live again':<52} {failures['reconnect_s']:>7.2f} s")
    print(f"{'nothing listening -> down':<52} {failures['refused_down_s']:>7.3f} s")
    print(
        f"{'silent listener -> down (connect_timeout 2 s)':<52} {failures['mute_down_s']:>7.2f} s"
    )
    print(
        f"{'host frozen mid-stream -> down (timeout 2 s)':<52} {failures['frozen_down_s']:>7.2f} s"
    )
    print(json.dumps({"benchmark": "health", **local, **remote, **failures}))


if __name__ == "__main__":
    main()
