"""The last known fleet in a real SQLite file: a write costs the rows that changed, a VM that
went is deleted, a restart reads every row back in one query, and the entries expire on read."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

from limen_tui.fleet.host_store import FORGET_EVERY_S, HostStore
from limen_tui.fleet.last_known import last_known_row
from limen_tui.fleet.workers import StoreThread
from limen_tui.model import DomainRow, HostFacts, PowerState
from limen_tui.store.cache import Cache

FACTS = HostFacts("hv1", "QEMU", "8.2.0", "9.0.0", "x86", 2, 2000, 4096, 1, 1, 2, 1)
T0 = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def _rows(n: int) -> dict[str, DomainRow]:
    rows = [
        DomainRow("hv1", f"uuid-{i:05d}", f"vm-{i:05d}", PowerState.RUNNING, 2, cpu_pct=1.0)
        for i in range(n)
    ]
    return {r.uuid: r for r in rows}


def _stored_at(path: Path) -> dict[str, float]:
    with sqlite3.connect(path) as db:
        found = db.execute(
            "SELECT item, stored_at FROM entries WHERE kind = 'fleet' AND item != ''"
        ).fetchall()
    return dict(found)


def _total_changes(cache: Cache) -> int:
    return cache.file.run(lambda db: db.conn.total_changes, -1)


async def test_a_tick_that_changed_3_of_1000_rows_writes_those_3(tmp_path: Path) -> None:
    path, clock, thread = tmp_path / "cache.db", Clock(), StoreThread()
    try:
        with Cache(path, clock=clock) as cache:
            store = HostStore("hv1", cache, None, thread, save_every_s=0.0)
            rows = _rows(1000)
            store.save_fleet(rows.values(), [], FACTS, rows)
            await thread.settled()
            assert set(_stored_at(path)) == set(rows)

            clock.now += 10
            before = _total_changes(cache)
            changed = [replace(rows[f"uuid-{i:05d}"], vcpus=8) for i in (3, 500, 999)]
            rows.update((r.uuid, r) for r in changed)
            gone = rows.pop("uuid-00042")
            store.save_fleet(changed, [gone.uuid], FACTS, rows)
            await thread.settled()
            written = _total_changes(cache) - before

            stored = _stored_at(path)
            assert gone.uuid not in stored and len(stored) == 999
            assert sorted(u for u, at in stored.items() if at == T0 + 10) == sorted(
                r.uuid for r in changed
            )
            # 3 rows, 1 delete, the marker, and the triggers' running totals: not 1,000.
            assert 0 < written <= 20, written

            # A restart: every row back (the changed ones as changed), and the facts.
            known = await HostStore("hv1", cache, None, thread).last_known()
            assert known is not None
            assert {r.uuid: r for r in known.rows} == {
                u: last_known_row(r) for u, r in rows.items()
            }
            assert known.facts == FACTS and known.saved_at == T0 + 10
    finally:
        thread.shutdown()


async def test_ticks_that_changed_only_figures_write_nothing_and_a_restart_shows_no_old_figures(
    tmp_path: Path,
) -> None:
    # Every VM's counters moved (CPU, memory used, disk and network rates): what a restart
    # shows of them would be figures of another time, so they are not kept and not written.
    path, clock, thread = tmp_path / "cache.db", Clock(), StoreThread()
    try:
        with Cache(path, clock=clock) as cache:
            store = HostStore("hv1", cache, None, thread, save_every_s=0.0)
            rows = _rows(1000)
            store.save_fleet(rows.values(), [], FACTS, rows)
            await thread.settled()
            for tick in range(1, 4):
                clock.now += 10
                before = _total_changes(cache)
                changed = [
                    replace(
                        r,
                        cpu_pct=float(tick),
                        mem_used_kib=tick * 1024,
                        disk_rd_bps=tick * 100.0,
                        net_rx_bps=tick * 10.0,
                    )
                    for r in rows.values()
                ]
                rows.update((r.uuid, r) for r in changed)
                store.save_fleet(changed, [], FACTS, rows)
                await thread.settled()
                assert _total_changes(cache) - before == 0, f"tick {tick} wrote rows"
            assert set(_stored_at(path).values()) == {T0}

            known = await HostStore("hv1", cache, None, thread).last_known()
            assert known is not None and len(known.rows) == 1000
            row = next(r for r in known.rows if r.uuid == "uuid-00007")
            assert (row.name, row.state, row.vcpus) == ("vm-00007", PowerState.RUNNING, 2)
            assert row.cpu_pct is None and row.mem_used_kib is None
            assert row.disk_rd_bps is None and row.net_rx_bps is None
    finally:
        thread.shutdown()


async def test_between_writes_changes_wait_and_the_newest_version_is_written(
    tmp_path: Path,
) -> None:
    path, thread = tmp_path / "cache.db", StoreThread()
    try:
        with Cache(path) as cache:
            store = HostStore("hv1", cache, None, thread, save_every_s=3600.0)
            rows = _rows(10)
            store.save_fleet(rows.values(), [], FACTS, rows)  # the first write: at once
            await thread.settled()
            row = rows["uuid-00001"]
            for vcpus in (4, 6, 8):  # ticks within the interval: nothing written
                rows[row.uuid] = replace(row, vcpus=vcpus)
                store.save_fleet([rows[row.uuid]], [], FACTS, rows)
            await thread.settled()
            known = await store.last_known()
            assert known is not None
            assert {r.uuid: r.vcpus for r in known.rows}[row.uuid] == 2
            await store.save_now(FACTS)  # the console ends: what waited is written
            known = await store.last_known()
            assert known is not None
            assert {r.uuid: r.vcpus for r in known.rows}[row.uuid] == 8
    finally:
        thread.shutdown()


async def test_the_first_write_drops_rows_of_vms_that_went_while_no_console_ran(
    tmp_path: Path,
) -> None:
    path, thread = tmp_path / "cache.db", StoreThread()
    try:
        with Cache(path) as cache:
            rows = _rows(5)
            first = HostStore("hv1", cache, None, thread)
            first.save_fleet(rows.values(), [], FACTS, rows)
            await thread.settled()
            del rows["uuid-00002"]  # undefined while no console ran
            second = HostStore("hv1", cache, None, thread)
            second.save_fleet([], [], FACTS, rows)  # the live host answered first
            await thread.settled()
            assert set(_stored_at(path)) == set(rows)
    finally:
        thread.shutdown()


async def test_the_last_known_fleet_expires_on_read(tmp_path: Path) -> None:
    path, clock, thread = tmp_path / "cache.db", Clock(), StoreThread()
    try:
        with Cache(path, clock=clock, ttls={"fleet": 100.0}) as cache:
            store = HostStore("hv1", cache, None, thread, save_every_s=0.0)
            rows = _rows(4)
            store.save_fleet(rows.values(), [], FACTS, rows)
            await thread.settled()
            # Rewritten rows keep the unchanged ones alive: past half the TTL they are renewed.
            clock.now += 60
            row = replace(rows["uuid-00000"], state=PowerState.PAUSED)
            store.save_fleet([row], [], FACTS, rows)
            await thread.settled()
            clock.now += 60  # 120 s after the first write, 60 s after the last
            known = await store.last_known()
            assert known is not None and len(known.rows) == 4
            clock.now += 101  # no write for longer than the TTL: gone, and deleted by the read
            assert await store.last_known() is None
            assert _stored_at(path) == {}
            assert cache.stats().expired >= 4
    finally:
        thread.shutdown()


async def test_a_storm_of_events_forgets_in_one_write_and_no_read_sees_what_it_forgot(
    tmp_path: Path,
) -> None:
    # 200 VMs each had an event: their cached XML is deleted in one transaction, and no read
    # after the events returns what they made stale, before the delete or after it.
    thread = StoreThread()
    try:
        with Cache(tmp_path / "cache.db") as cache:
            store = HostStore("hv1", cache, None, thread)
            uuids = [f"uuid-{i:05d}" for i in range(200)]
            for uuid in [*uuids, "untouched"]:
                cache.put("domain_xml", "hv1", uuid, "<domain/>")
            writes = 0
            write = cache._write

            def counted(body: Any) -> dict[str, int]:
                nonlocal writes
                writes += 1
                return write(body)

            cache._write = counted  # type: ignore[method-assign]
            for uuid in uuids:
                store.invalidate(uuid, None)
            assert all([await store.get("domain_xml", uuid) is None for uuid in uuids])
            await asyncio.sleep(FORGET_EVERY_S * 2)
            await thread.settled()
            assert writes == 1
            assert all([await store.get("domain_xml", uuid) is None for uuid in uuids])
            assert await store.get("domain_xml", "untouched") == "<domain/>"
            store.invalidate("untouched", None)  # and one pending at the stop is written then
            await store.save_now(None)
            assert writes == 2
            assert cache.get("domain_xml", "hv1", "untouched") is None
    finally:
        thread.shutdown()
