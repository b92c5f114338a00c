"""Benchmark: what a cache hit costs against the libvirt call it saves, and the cache under churn.

In the same run:
  - the physical reference: `dom.XMLDesc()` over a running libvirtd (the test driver
    through `test+unix:///...`, so every call is a real RPC), one call per domain;
  - `Cache.get` of that same XML when it is cached (a hit), and when it is not (a miss),
    and `Cache.put`, on a real SQLite file holding 100 entries and holding 50,000;
  - a churn of 100,000 mixed operations (read-through gets, puts after events,
    invalidations) over a console's key space, 10 hosts x 100 VMs, with a fake clock
    moving 50 ms per operation so TTLs expire as they would in 83 minutes of use:
    store size and hit ratio at the default 100 MB cap and at a small cap that evicts;
  - the metric history: one tick's append (5 metrics x 100 VMs) on top of an hour of
    samples, the bytes it makes the process write, and reading series back.

Prints a table and one JSON line. Run: .venv/bin/python -m benchmarks.cache
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import libvirt

from limen_tui.demo import write_fleet
from limen_tui.store.cache import DEFAULT_MAX_BYTES, Cache
from limen_tui.store.history import MetricHistory
from tests.harness.libvirtd import ensure_libvirtd

HOSTS = 10
VMS_PER_HOST = 100
STEP_S = 0.05
"""Fake seconds per churn operation."""

# Typical sizes of what each kind holds (bytes of JSON), measured on the test driver's
# fleet for XML and guessed from `virsh` output for the rest.
HOST_KIND_SIZES = {
    "host_facts": 1_000,
    "capabilities": 30_000,
    "pools": 2_000,
    "networks": 2_000,
    "dhcp_leases": 1_000,
    "fleet": 100_000,
}
VM_KIND_SIZES = {"domain_details": 1_000, "snapshots": 300}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _percentile_us(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e6


def _timed(fn: Callable[[], object], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def _summary(samples: list[float]) -> dict[str, float]:
    return {
        "median_us": statistics.median(samples) * 1e6,
        "p99_us": _percentile_us(samples, 0.99),
    }


def measure_xmldesc(workdir: Path, n: int, repeats: int) -> tuple[dict[str, float], list[str]]:
    """Median XMLDesc() over the daemon, and the XML documents (the values to cache)."""
    path = write_fleet(workdir / f"fleet-{n}.xml", n)
    conn = libvirt.openReadOnly("test+unix://" + str(path))
    try:
        domains = conn.listAllDomains()
        xmls = [d.XMLDesc(0) for d in domains]  # warm-up, and the values
        rng = random.Random(1)
        samples = _timed(lambda: rng.choice(domains).XMLDesc(0), repeats)
    finally:
        conn.close()
    return _summary(samples), xmls


def measure_cache_calls(cache: Cache, xmls: list[str], repeats: int) -> dict[str, dict[str, float]]:
    cache.put_many("domain_xml", "bench", {f"vm-{i}": x for i, x in enumerate(xmls)})
    rng = random.Random(2)
    n = len(xmls)
    hit = _timed(lambda: cache.get("domain_xml", "bench", f"vm-{rng.randrange(n)}"), repeats)
    miss = _timed(lambda: cache.get("domain_xml", "bench", f"absent-{rng.randrange(n)}"), repeats)
    put = _timed(
        lambda: cache.put("domain_xml", "bench", f"vm-{rng.randrange(n)}", rng.choice(xmls)),
        repeats,
    )
    return {"hit": _summary(hit), "miss": _summary(miss), "put": _summary(put)}


def _written() -> int:
    """Bytes this process has passed to write(2) so far (SQLite's WAL and checkpoints)."""
    with open("/proc/self/io") as f:
        for line in f:
            if line.startswith("wchar:"):
                return int(line.split()[1])
    return 0


def measure_put_writes(path: Path, xmls: list[str], repeats: int) -> float:
    cache = Cache(path)
    before = _written()
    for i in range(repeats):
        cache.put("domain_xml", "bench", f"vm-{i % len(xmls)}", xmls[i % len(xmls)])
    per_put = (_written() - before) / repeats
    cache.close()
    return per_put


def measure_history(path: Path, ticks: int, measured: int) -> dict[str, float]:
    clock = FakeClock()
    cache = Cache(path, clock=clock)
    history = MetricHistory(cache.file, clock=clock)
    names = [
        (f"host-{v % 3}", f"{v:08x}-0000-4000-8000-000000000000", metric)
        for v in range(100)
        for metric in ("cpu_pct", "mem_kib", "disk_rd_bps", "net_rx_bps", "net_tx_bps")
    ]

    def tick() -> None:
        clock.now += 2.0
        history.append_many((*name, clock.now, 1.0) for name in names)

    for _ in range(ticks):
        tick()
    before = _written()
    samples = _timed(tick, measured)
    written = (_written() - before) / measured
    series = _timed(lambda: history.series(*names[0]), 20)
    recent = _timed(lambda: history.recent("host-0", clock.now - 200), 5)
    stored = history.count()
    cache.close()
    on_disk = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    return {
        "samples_per_tick": len(names),
        "samples_stored": stored,
        "append_ms": statistics.median(samples) * 1000,
        "written_kib_per_tick": written / 1024,
        "series_ms": statistics.median(series) * 1000,
        "recent_host_200s_ms": statistics.median(recent) * 1000,
        "bytes_per_sample": on_disk / stored,
    }


def _value(size: int) -> dict[str, str]:
    return {"data": "x" * size}


def churn(
    path: Path, xmls: list[str], ops: int, max_bytes: int, seed: int = 3
) -> dict[str, float | int]:
    """Read-through use by a console: get, and on a miss fetch and put; events invalidate."""
    clock = FakeClock()
    cache = Cache(path, max_bytes=max_bytes, clock=clock)
    rng = random.Random(seed)
    hosts = [f"host-{h:02d}" for h in range(HOSTS)]
    # A few VMs get most of the attention (the ones being worked on): a Pareto-like pick.
    weights = [1 / (rank + 1) for rank in range(VMS_PER_HOST)]
    vm_names = [f"vm-{v:03d}" for v in range(VMS_PER_HOST)]

    def pick_vm() -> str:
        return rng.choices(vm_names, weights)[0]

    t0 = time.perf_counter()
    for _ in range(ops):
        clock.now += STEP_S
        host = rng.choice(hosts)
        roll = rng.random()
        if roll < 0.80:
            if rng.random() < 0.7:
                kind, item = rng.choice(("domain_xml", "domain_details", "snapshots")), pick_vm()
            else:
                kind, item = rng.choice(list(HOST_KIND_SIZES)), ""
            if cache.get(kind, host, item) is None:
                if kind == "domain_xml":
                    value: object = rng.choice(xmls)
                elif item:
                    value = _value(VM_KIND_SIZES[kind])
                else:
                    value = _value(HOST_KIND_SIZES[kind])
                cache.put(kind, host, item, value)
        elif roll < 0.95:  # an event refreshed a VM's details
            cache.put("domain_details", host, pick_vm(), _value(VM_KIND_SIZES["domain_details"]))
        elif roll < 0.999:  # an action or a define changed a VM
            cache.invalidate(host, pick_vm(), kinds=("domain_xml", "domain_details", "snapshots"))
        else:  # the host reconnected: forget all of it
            cache.invalidate(host)
    elapsed = time.perf_counter() - t0
    stats = cache.stats()
    cache.close()
    on_disk = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    return {
        "ops": ops,
        "max_bytes": max_bytes,
        "entries": stats.entries,
        "bytes": stats.bytes,
        "file_bytes": on_disk,
        "hit_ratio": stats.hit_ratio,
        "hits": stats.hits,
        "misses": stats.misses,
        "expired": stats.expired,
        "evicted": stats.evicted,
        "writes": stats.writes,
        "invalidated": stats.invalidated,
        "ops_per_s": ops / elapsed,
        "fake_minutes": ops * STEP_S / 60,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--domains", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=2000)
    parser.add_argument("--ops", type=int, default=100_000)
    parser.add_argument("--small-cap", type=int, default=1024 * 1024)
    parser.add_argument("--big", type=int, default=50_000, help="entries in the full store")
    parser.add_argument("--history-ticks", type=int, default=1800, help="2 s ticks before")
    args = parser.parse_args()
    ensure_libvirtd()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        xmldesc, xmls = measure_xmldesc(work, args.domains, args.repeats)
        small = Cache(work / "small" / "cache.db")
        calls_small = measure_cache_calls(small, xmls, args.repeats)
        small.close()
        big = Cache(work / "big" / "cache.db")
        for start in range(0, args.big, 1000):  # other hosts' entries: a full store
            batch = {f"vm-{i}": xmls[i % len(xmls)] for i in range(start, start + 1000)}
            big.put_many("domain_xml", f"other-{start // 1000}", batch)
        calls_big = measure_cache_calls(big, xmls, args.repeats)
        big_stats = big.stats()
        big.close()
        put_written = measure_put_writes(work / "writes" / "cache.db", xmls, args.repeats)
        hist = measure_history(work / "history" / "cache.db", args.history_ticks, 100)
        churned = [
            churn(work / "churn" / "cache.db", xmls, args.ops, DEFAULT_MAX_BYTES),
            churn(work / "capped" / "cache.db", xmls, args.ops, args.small_cap),
        ]

    ref = xmldesc["median_us"]
    xml_kib = statistics.mean(len(x) for x in xmls) / 1024
    print(f"dom.XMLDesc() over libvirtd, {args.domains} domains (mean XML {xml_kib:.1f} KiB):")
    print(f"{'call':<40} {'median':>10} {'p99':>10} {'vs XMLDesc':>11}")
    print(f"{'XMLDesc() (reference)':<40} {ref:>7.1f} us {xmldesc['p99_us']:>7.1f} us {1:>10.2f}x")
    big_label = f"{big_stats.entries:,} entries ({big_stats.bytes / 2**20:.0f} MiB)"
    for label, calls in (("cache, 100 entries:", calls_small), (big_label, calls_big)):
        for name in ("hit", "miss", "put"):
            s = calls[name]
            print(
                f"{label + ' ' + name:<40} {s['median_us']:>7.1f} us {s['p99_us']:>7.1f} us "
                f"{s['median_us'] / ref:>10.2f}x"
            )
    print(f"one put makes the process write {put_written / 1024:.1f} KiB (WAL and checkpoints)")
    print()
    print(
        f"history, {hist['samples_per_tick']} samples per tick on top of "
        f"{hist['samples_stored']:,} stored ({hist['bytes_per_sample']:.0f} bytes each on disk): "
        f"append {hist['append_ms']:.2f} ms, writing {hist['written_kib_per_tick']:.0f} KiB; "
        f"one series {hist['series_ms']:.2f} ms; a host's last 200 s of every series "
        f"{hist['recent_host_200s_ms']:.1f} ms"
    )
    print()
    print(
        f"{'churn cap':>10} {'ops':>8} {'entries':>8} {'MiB stored':>10} {'MiB file':>9} "
        f"{'hit ratio':>9} {'expired':>8} {'evicted':>8} {'ops/s':>8}"
    )
    for c in churned:
        print(
            f"{c['max_bytes'] / 2**20:>6.0f} MiB {c['ops']:>8} {c['entries']:>8} "
            f"{c['bytes'] / 2**20:>10.2f} {c['file_bytes'] / 2**20:>9.2f} {c['hit_ratio']:>9.3f} "
            f"{c['expired']:>8} {c['evicted']:>8} {c['ops_per_s']:>8.0f}"
        )
    print(
        json.dumps(
            {
                "benchmark": "cache",
                "xmldesc": xmldesc,
                "cache": calls_small,
                "cache_full": {**calls_big, "entries": big_stats.entries, "bytes": big_stats.bytes},
                "hit_speedup": ref / calls_small["hit"]["median_us"],
                "put_written_bytes": put_written,
                "history": hist,
                "churn": churned,
            }
        )
    )


if __name__ == "__main__":
    main()
