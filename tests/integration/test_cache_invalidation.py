"""The cache forgets exactly what an event or an action changed (real libvirtd + QEMU)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from limen_tui.config.settings import Settings
from limen_tui.fleet.cache_policy import invalidated_by_action, invalidated_by_event
from limen_tui.fleet.fleet import Fleet
from limen_tui.fleet.updates import FleetUpdate
from limen_tui.model import LinkState
from limen_tui.model.action_params import Autostart
from limen_tui.store.cache import Cache
from tests.conftest import MakeVm, Virsh
from tests.ui.helpers import wait_for

pytestmark = pytest.mark.libvirtd


def test_the_invalidation_table() -> None:
    assert invalidated_by_event("lifecycle", "undefined", "removed") is None
    assert invalidated_by_event("lifecycle", "started", "booted") == (
        "domain_xml",
        "domain_details",
    )
    assert "snapshots" in (invalidated_by_event("lifecycle", "started", "from snapshot") or ())
    assert invalidated_by_event("reboot", "rebooted", "") == ()
    assert invalidated_by_event("device", "device added", "net1") == (
        "domain_xml",
        "domain_details",
    )
    assert invalidated_by_action("delete") is None
    assert "snapshots" in (invalidated_by_action("snapshot_revert") or ())
    assert "snapshots" not in (invalidated_by_action("start") or ())


async def test_events_and_actions_invalidate_the_cached_xml(
    libvirtd: str, vm_factory: MakeVm, virsh: Virsh
) -> None:
    name = vm_factory("cached")
    updates: list[FleetUpdate] = []
    cache = Cache()
    fleet = Fleet([libvirtd], updates.append, Settings(refresh_interval=600), cache=cache)
    fleet.start()
    session = fleet.hosts[libvirtd]
    try:
        await wait_for(lambda: any(r.name == name for r in session.rows.values()), limit=30)
        assert session.status.state is LinkState.LIVE
        row = next(r for r in session.rows.values() if r.name == name)
        cache.put("snapshots", libvirtd, row.uuid, ["kept"])
        other = "00000000-0000-0000-0000-000000000000"
        cache.put("domain_xml", libvirtd, other, "<domain/>")

        def xml_reads() -> int:
            return session.calls.tally().get("XMLDesc", 0)

        async def gone(check: Callable[[], bool]) -> None:
            await wait_for(check, limit=10)

        await session.devices(row.uuid)
        await session.devices(row.uuid)
        assert xml_reads() == 1, "the second read should have been a cache hit"

        virsh("desc", name, "--config", "a note for the cache test")  # metadata change event
        await gone(lambda: cache.get("domain_xml", libvirtd, row.uuid) is None)
        devices = await session.devices(row.uuid)
        assert xml_reads() == 2 and devices.description == "a note for the cache test"

        virsh("start", name)  # lifecycle: the live XML changes
        await gone(lambda: cache.get("domain_xml", libvirtd, row.uuid) is None)
        await session.devices(row.uuid)
        assert xml_reads() == 3
        assert cache.get("snapshots", libvirtd, row.uuid) is not None  # untouched by a start

        await session.devices(row.uuid)
        assert cache.get("domain_xml", libvirtd, row.uuid) is not None
        await fleet.perform([row], "autostart", Autostart(enabled=True))  # an action, no event
        await gone(lambda: cache.get("domain_xml", libvirtd, row.uuid) is None)
        assert cache.get("snapshots", libvirtd, row.uuid) is not None
        await fleet.perform([row], "force_off")

        virsh("undefine", name)  # every kind for that VM goes
        await gone(lambda: cache.get("snapshots", libvirtd, row.uuid) is None)
        assert cache.get("domain_xml", libvirtd, other) is not None  # other VMs keep theirs
        stats = cache.stats()
        assert stats.hits >= 1 and stats.invalidated >= 4
    finally:
        await fleet.stop()
        cache.close()


async def test_cpu_history_is_kept_and_survives_a_restart(
    libvirtd: str, vm_factory: MakeVm
) -> None:
    from limen_tui.store.history import MetricHistory

    name = vm_factory("history", start=True)

    async def run_console(ticks: int) -> list[float]:
        cache = Cache()
        fleet = Fleet(
            [libvirtd],
            lambda _u: None,
            Settings(refresh_interval=0.3),
            cache=cache,
            history=MetricHistory(cache.file),
        )
        fleet.start()
        session = fleet.hosts[libvirtd]
        try:
            await wait_for(lambda: any(r.name == name for r in session.rows.values()), 30)
            uuid = next(r.uuid for r in session.rows.values() if r.name == name)
            if ticks:
                await wait_for(lambda: len(_points(session, uuid)) >= ticks, limit=30)
            return await session.cpu_history(uuid)
        finally:
            await fleet.stop()
            cache.close()

    first = await run_console(ticks=3)
    assert len(first) >= 3 and all(0.0 <= v <= 150.0 for v in first)
    again = await run_console(ticks=0)  # a new console on the same file
    assert again[: len(first)] == first


def _points(session: object, uuid: str) -> list[float]:
    from limen_tui.fleet.host import Host

    assert isinstance(session, Host) and session.history is not None
    return [v for _t, v in session.history.series(session.key, uuid, "cpu")]
