"""Two consoles on one host share the cache file: both write and read at once, nothing locks up."""

from __future__ import annotations

import multiprocessing
import random
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from limen_tui.store.cache import COUNTER_NAMES, Cache
from limen_tui.store.history import MetricHistory
from tests.store.conftest import raw_rows

OPS = 4000
TTLS = {"domain_xml": 300.0, "pools": 0.05}


def console(path: str, seed: int, start: Event, results: Any) -> None:
    """One process's share: puts, gets and invalidations over keys the other one uses too."""
    rng = random.Random(seed)
    cache = Cache(path, ttls=TTLS, max_bytes=200_000)
    history = MetricHistory(cache.file, retention_s=1e12)  # the test's timestamps are tiny
    start.wait()
    try:
        for n in range(OPS):
            host, item = f"h{rng.randrange(2)}", f"vm-{rng.randrange(300)}"
            kind = rng.choice(("domain_xml", "pools"))
            roll = rng.random()
            if roll < 0.4:
                cache.put(kind, host, item, {"seed": seed, "n": n, "pad": "x" * rng.randrange(900)})
            elif roll < 0.9:
                cache.get(kind, host, item)
            elif roll < 0.98:
                cache.invalidate(host, item)
            else:
                cache.invalidate(host, kinds=["pools"])
            if n % 50 == 0:
                history.append(host, item, "cpu", n + seed / 10, 1.0)
        stats = cache.stats()
        results.put(
            {
                "counts": {name: getattr(stats, name) for name in COUNTER_NAMES},
                "busy_skips": cache.file.busy_skips,
                "enabled": cache.enabled,
                "reason": cache.reason,
                "warnings": list(cache.warnings),
            }
        )
        cache.close()
    except BaseException as exc:
        results.put({"error": repr(exc)})
        raise


def test_two_processes_share_the_file(cache_path: Path) -> None:
    Cache(cache_path, ttls=TTLS).close()  # created once, as the first console would
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Event(), ctx.Queue()
    workers = [
        ctx.Process(target=console, args=(str(cache_path), seed, start, results)) for seed in (1, 2)
    ]
    for w in workers:
        w.start()
    start.set()
    reports = [results.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0

    for report in reports:
        assert "error" not in report, report
        assert report["enabled"], report["reason"]
        assert report["busy_skips"] == 0, "a call waited past the busy timeout"
        assert report["warnings"] == []
        assert report["counts"]["hits"] + report["counts"]["misses"] > OPS // 3
    assert sum(r["counts"]["evicted"] for r in reports) > 0, "the cap was reached meanwhile"

    cache = Cache(cache_path, ttls=TTLS)
    total = cache.stats(cumulative=True)
    for name in COUNTER_NAMES:
        assert getattr(total, name) == sum(r["counts"][name] for r in reports), name
    ((rows, size),) = raw_rows(cache_path, "SELECT count(*), coalesce(sum(size), 0) FROM entries")
    assert (total.entries, total.bytes) == (rows, size)
    assert total.bytes <= 200_000
    assert raw_rows(cache_path, "PRAGMA integrity_check") == [("ok",)]
    ((samples,),) = raw_rows(cache_path, "SELECT count(*) FROM samples")
    assert samples == MetricHistory(cache.file, retention_s=1e12).count() == 2 * (OPS // 50)
