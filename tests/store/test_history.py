"""Metric history: ordered series, retention and a cap trimmed on write, kept across restarts."""

from __future__ import annotations

import time
from pathlib import Path

from limen_tui.store.cache import Cache
from limen_tui.store.history import RETENTION_TRIM_BATCH, MetricHistory
from tests.store.conftest import FakeClock, raw_rows


def test_series_is_newest_last_and_limited(cache_path: Path, clock: FakeClock) -> None:
    history = MetricHistory(Cache(cache_path).file, retention_s=3600, clock=clock)
    now = clock()
    history.append_many(("h1", "vm-a", "cpu", now - i, float(i)) for i in range(10))
    history.append("h1", "vm-b", "cpu", now, 99.0)
    history.append("h2", "vm-a", "cpu", now, 98.0)
    history.append("h1", "vm-a", "mem", now, 97.0)
    assert history.series("h1", "vm-a", "cpu", limit=3) == [
        (now - 2, 2.0),
        (now - 1, 1.0),
        (now, 0.0),
    ]
    assert len(history.series("h1", "vm-a", "cpu")) == 10
    assert history.series("h1", "vm-b", "cpu") == [(now, 99.0)]
    assert history.series("h1", "vm-c", "cpu") == []


def test_a_repeated_timestamp_replaces_the_sample(cache_path: Path, clock: FakeClock) -> None:
    history = MetricHistory(Cache(cache_path).file, clock=clock)
    history.append("h1", "", "load", clock(), 1.0)
    history.append("h1", "", "load", clock(), 2.0)
    assert history.series("h1", "", "load") == [(clock(), 2.0)]
    assert history.count() == 1


def test_retention_is_trimmed_on_write(cache_path: Path, clock: FakeClock) -> None:
    history = MetricHistory(Cache(cache_path).file, retention_s=60, clock=clock)
    start = clock()
    for step in range(10):
        history.append("h1", "vm-a", "cpu", clock(), float(step))
        clock.advance(10)
    # now = start + 100: samples before start + 40 are past the retention
    assert history.series("h1", "vm-a", "cpu")[0] == (start + 40, 4.0)
    history.append("h1", "vm-a", "cpu", clock(), 10.0)
    ((oldest,),) = raw_rows(cache_path, "SELECT min(ts) FROM samples")
    assert oldest == start + 40, "older rows are deleted from the file, not just hidden"
    history.append("h1", "vm-a", "cpu", start, 0.0)  # arrives already too old: dropped
    assert history.count() == 7


def test_a_long_absence_is_trimmed_in_bounded_batches(cache_path: Path, clock: FakeClock) -> None:
    history = MetricHistory(Cache(cache_path).file, retention_s=60, clock=clock)
    history.append_many(
        ("h1", f"vm-{i}", "cpu", clock(), 1.0) for i in range(RETENTION_TRIM_BATCH + 10)
    )
    clock.advance(3600)
    assert history.series("h1", "vm-0", "cpu") == [], "reads ignore what is not trimmed yet"
    history.append("h1", "vm-0", "cpu", clock(), 2.0)
    assert history.count() == 10 + 1
    history.append("h1", "vm-0", "cpu", clock() + 1, 3.0)
    assert history.count() == 2


def test_the_sample_cap_drops_the_oldest(cache_path: Path, clock: FakeClock) -> None:
    history = MetricHistory(Cache(cache_path).file, max_samples=100, clock=clock)
    now = clock()
    history.append_many(("h1", "", "cpu", now - 300 + i, float(i)) for i in range(150))
    assert history.count() == 100
    series = history.series("h1", "", "cpu", limit=1000)
    assert series[0] == (now - 300 + 50, 50.0) and len(series) == 100
    # Checked once per tenth of the cap appended: never more than 10% over.
    history.append_many(("h1", "", "cpu", now + i, 1.0) for i in range(5))
    assert history.count() == 105
    history.append_many(("h1", "", "cpu", now + 5 + i, 1.0) for i in range(5))
    assert history.count() == 100


def test_forget_a_removed_vm(cache_path: Path, clock: FakeClock) -> None:
    history = MetricHistory(Cache(cache_path).file, clock=clock)
    for subject in ("vm-a", "vm-b"):
        history.append("h1", subject, "cpu", clock(), 1.0)
    history.append("h2", "vm-a", "cpu", clock(), 1.0)
    assert history.forget("h1", "vm-a") == 1
    assert history.series("h1", "vm-a", "cpu") == []
    assert history.series("h1", "vm-b", "cpu") and history.series("h2", "vm-a", "cpu")
    assert history.forget("h1") == 1
    assert history.series("h1", "vm-b", "cpu") == []
    # A VM defined again under the same name starts a new series, without the old past.
    clock.advance(1)
    history.append("h1", "vm-a", "cpu", clock(), 2.0)
    assert history.series("h1", "vm-a", "cpu") == [(clock(), 2.0)]


def test_recent_gives_every_series_of_a_host_at_once(cache_path: Path, clock: FakeClock) -> None:
    history = MetricHistory(Cache(cache_path).file, clock=clock)
    start = clock()
    for tick in range(5):
        history.append_many(
            [
                ("h1", "", "load", start + tick, float(tick)),
                ("h1", "vm-a", "cpu", start + tick, 10.0 + tick),
                ("h2", "vm-z", "cpu", start + tick, 99.0),
            ]
        )
    recent = history.recent("h1", since=start + 3)
    assert recent == {
        ("", "load"): [(start + 3, 3.0), (start + 4, 4.0)],
        ("vm-a", "cpu"): [(start + 3, 13.0), (start + 4, 14.0)],
    }
    assert history.recent("nobody", since=0) == {}


def test_history_survives_a_restart_and_a_cache_clear(cache_path: Path, clock: FakeClock) -> None:
    cache = Cache(cache_path, clock=clock)
    MetricHistory(cache.file, clock=clock).append_many(
        ("h1", "", "mem", clock() - i, float(i)) for i in range(5)
    )
    cache.clear()
    cache.close()

    reopened = MetricHistory(Cache(cache_path, clock=clock).file, clock=clock)
    assert [v for _, v in reopened.series("h1", "", "mem")] == [4.0, 3.0, 2.0, 1.0, 0.0]


def test_since_gives_a_graphs_window_oldest_first(cache_path: Path, clock: FakeClock) -> None:
    history = MetricHistory(Cache(cache_path).file, retention_s=3600, clock=clock)
    now = clock()
    history.append_many(("h1", "vm-a", "disk", now - 10 * i, float(i)) for i in range(100))
    window = history.since("h1", "vm-a", "disk", now - 300)
    assert window == [(now - 10 * i, float(i)) for i in range(30, -1, -1)]
    assert history.since("h1", "vm-a", "net", now - 300) == []


async def test_a_tick_keeps_cpu_memory_disk_and_net_per_vm(cache_path: Path) -> None:
    from limen_tui.fleet.host_store import HostStore
    from limen_tui.model import DomainRow, PowerState
    from limen_tui.virt.collector import Tick

    cache = Cache(cache_path)
    store = HostStore("h1", cache, MetricHistory(cache.file))
    try:
        row = DomainRow(
            "h1",
            "vm-a",
            "web",
            PowerState.RUNNING,
            cpu_pct=12.5,
            mem_used_kib=2048,
            disk_rd_bps=100.0,
            disk_wr_bps=50.0,
            net_rx_bps=None,
            net_tx_bps=7.0,
        )
        unknown = DomainRow("h1", "vm-b", "db", PowerState.RUNNING)  # the driver says nothing
        store.record_tick(Tick("h1", 0.0, [row, unknown], [], 2, {}))
        kept = {
            metric: [v for _ts, v in await store.history_since("vm-a", metric, 60)]
            for metric in ("cpu", "mem", "disk", "net")
        }
        assert kept == {"cpu": [12.5], "mem": [2048.0], "disk": [150.0], "net": [7.0]}
        assert await store.history_since("vm-b", "cpu", 60) == []  # no figure: no sample
    finally:
        await store.thread.settled()
        store.thread.shutdown()


async def test_vms_off_screen_keep_a_sample_a_minute_and_those_on_screen_every_tick(
    cache_path: Path,
) -> None:
    """A 10,000-VM fleet's history costs what the screen costs: every tick for the rows on
    screen, one sample a minute (the hour's graph) for the rest."""
    from limen_tui.fleet.host_store import FLEET_HISTORY_EVERY_S, HostStore
    from limen_tui.model import DomainRow, PowerState
    from limen_tui.virt.collector import Tick

    cache = Cache(cache_path)
    store = HostStore("h1", cache, MetricHistory(cache.file))
    try:
        rows = [
            DomainRow("h1", f"vm-{i}", f"vm-{i}", PowerState.RUNNING, cpu_pct=float(i))
            for i in range(50)
        ]
        shown = frozenset({"vm-1", "vm-2"})
        clock = [time.time() - 120]
        store.clock = lambda: clock[0]
        for _ in range(5):  # five ticks, 2 s apart
            store.record_tick(Tick("h1", 0.0, rows, [], 50, {}), rows, on_screen=shown)
            clock[0] += 2.0
        clock[0] += FLEET_HISTORY_EVERY_S
        store.record_tick(Tick("h1", 0.0, rows, [], 50, {}), rows, on_screen=shown)
        on = await store.history_since("vm-1", "cpu", 10_000)
        off = await store.history_since("vm-30", "cpu", 10_000)
        assert len(on) == 6, on
        assert len(off) == 2, off  # the first tick, and a minute later
    finally:
        await store.thread.settled()
        store.thread.shutdown()
