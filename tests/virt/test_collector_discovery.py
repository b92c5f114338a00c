"""Discovery without N+1 calls: a host of many new VMs whose bulk stats lack sizes (libvirt's
test driver) pays a bounded number of definition reads per tick, never one per VM at once."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import libvirt

from limen_tui.demo import write_fleet
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.collector import DISCOVERY_PER_TICK, DomainCollector
from limen_tui.virt.connection import close_quietly, open_connection
from limen_tui.virt.eventloop import ensure_event_loop

VMS = 300


@contextmanager
def _collector(tmp_path: Path) -> Iterator[DomainCollector]:
    """A collector on a test-driver host of VMS new VMs whose bulk stats lack sizes."""
    ensure_event_loop()
    fleet = write_fleet(tmp_path / "fleet.xml", VMS)
    calls = CallCounter()
    conn: libvirt.virConnect = open_connection(
        f"test://{fleet}", readonly=True, calls=calls, on_close=lambda _: None
    )
    try:
        yield DomainCollector(conn, "big", 64, calls)
    finally:
        close_quietly(conn)


def test_sizes_arrive_over_a_few_ticks_with_a_bounded_cost_per_tick(tmp_path: Path) -> None:
    with _collector(tmp_path) as collector:
        rows: dict[str, object] = {}
        sized: set[str] = set()
        ticks = math.ceil(VMS / DISCOVERY_PER_TICK)
        for _ in range(ticks):
            tick = collector.collect()
            assert tick.discovery_calls.get("info (discovery)", 0) <= DISCOVERY_PER_TICK
            assert tick.calls == {"getAllDomainStats": 1}
            for row in tick.changed:
                rows[row.uuid] = row
                if row.vcpus is not None:
                    sized.add(row.uuid)
        assert len(rows) == VMS and len(sized) == VMS  # every VM known, sizes and all
        assert collector.collect().discovery_calls.get("info (discovery)", 0) == 0


def test_only_the_vms_on_screen_have_their_sizes_read(tmp_path: Path) -> None:
    with _collector(tmp_path) as collector:
        first = collector.collect()
        on_screen = sorted(r.uuid for r in first.changed)[:10]
        collector.on_screen = frozenset(on_screen)
        sized: dict[str, int | None] = {r.uuid: r.vcpus for r in first.changed}
        read = 0
        for _ in range(math.ceil(VMS / DISCOVERY_PER_TICK) + 2):
            tick = collector.collect()
            read += tick.discovery_calls.get("info (discovery)", 0)
            sized.update({r.uuid: r.vcpus for r in tick.changed})
        assert all(sized.get(u) is not None for u in on_screen)
        # What the first tick read (it had no screen yet) plus the screen: not the fleet.
        before = first.discovery_calls.get("info (discovery)", 0)
        assert read <= len(on_screen) and before + read < VMS / 2


def test_tags_are_read_for_the_vms_on_screen_and_for_the_fleet_only_when_asked(
    tmp_path: Path,
) -> None:
    with _collector(tmp_path) as collector:
        first = collector.collect()
        on_screen = sorted(r.uuid for r in first.changed)[-10:]
        collector.on_screen = frozenset(on_screen)
        read = 0
        for _ in range(math.ceil(VMS / DISCOVERY_PER_TICK) + 2):
            tick = collector.collect()
            read += tick.discovery_calls.get("XMLDesc (tags)", 0)
        assert read <= len(on_screen), read  # the screen's, not the fleet's
        assert tick.labels_unread > VMS / 2, tick.labels_unread
        collector.labels_for_all = True  # the operator filters or groups by tag
        ticks = 0
        while tick.labels_unread and ticks < math.ceil(VMS / DISCOVERY_PER_TICK) + 2:
            tick = collector.collect()
            assert tick.discovery_calls.get("XMLDesc (tags)", 0) <= DISCOVERY_PER_TICK
            ticks += 1
        assert tick.labels_unread == 0
        assert collector.collect().discovery_calls.get("XMLDesc (tags)", 0) == 0
