"""The demo comes alive, and only the demo: made-up figures, and real events from real calls.

Run on the demo hypervisor (libvirt's test driver, in-process): its events come through the
same path as a real host's.
"""

from __future__ import annotations

from dataclasses import replace

from limen_tui.config.settings import Settings
from limen_tui.demo import demo_uri
from limen_tui.fleet.demo_activity import DemoActivity
from limen_tui.fleet.host import Host
from limen_tui.fleet.updates import DomainEventArrived, DomainsRefreshed, FleetUpdate
from limen_tui.model import DomainRow, LinkState, PowerState
from tests.ui.helpers import wait_for


def _row(uuid: str, state: PowerState = PowerState.RUNNING) -> DomainRow:
    return DomainRow("demo", uuid, uuid, state, vcpus=2, mem_current_kib=1 << 20)


def test_running_vms_get_varied_moving_figures_marked_made_up_and_stopped_ones_none() -> None:
    activity = DemoActivity()
    rows = [_row(f"vm-{i}") for i in range(6)] + [_row("off", PowerState.SHUTOFF)]
    now, later = activity.counters(rows, 100.0), activity.counters(rows, 130.0)
    assert {r.uuid for r in now} == {f"vm-{i}" for i in range(6)}
    assert all(r.made_up and r.cpu_pct is not None and r.net_rx_bps is not None for r in now)
    assert len({r.cpu_pct for r in now}) > 3  # VMs differ
    assert [r.cpu_pct for r in now] != [r.cpu_pct for r in later]  # and move
    assert all(0.0 <= (r.cpu_pct or 0.0) <= 100.0 for r in (*now, *later))


def test_only_the_test_driver_may_come_alive() -> None:
    assert DemoActivity.allowed(demo_uri())
    for uri in ("qemu:///system", "qemu+ssh://root@hv2/system", ""):
        assert not DemoActivity.allowed(uri)
        assert Host(uri, settings=Settings(), demo=True, activity=True).activity is None


async def test_the_demo_host_shows_figures_and_its_own_calls_come_back_as_events() -> None:
    updates: list[FleetUpdate] = []
    host = Host(
        demo_uri(),
        updates.append,
        Settings(refresh_interval=0.5),
        key="demo",
        demo=True,
        activity=True,
    )
    host.start()
    try:
        await wait_for(lambda: host.status.state is LinkState.LIVE, limit=20)
        await wait_for(lambda: any(isinstance(u, DomainsRefreshed) for u in updates), limit=10)
        running = [r for r in host.rows.values() if r.state is PowerState.RUNNING]
        assert running and all(r.made_up and r.cpu_pct is not None for r in running)
        await wait_for(
            lambda: any(
                isinstance(u, DomainEventArrived) and u.event.event in ("suspended", "resumed")
                for u in updates
            ),
            limit=15,
        )
    finally:
        await host.stop()


async def test_a_demo_host_without_activity_stays_as_the_driver_says() -> None:
    updates: list[FleetUpdate] = []
    host = Host(demo_uri(), updates.append, Settings(refresh_interval=0.5), key="demo", demo=True)
    host.start()
    try:
        await wait_for(lambda: any(isinstance(u, DomainsRefreshed) for u in updates), limit=20)
        assert all(r.cpu_pct is None and not r.made_up for r in host.rows.values())
    finally:
        await host.stop()


def test_the_demo_makes_up_steal_latency_packets_and_drops_too() -> None:
    rows = [_row(f"vm-{i}") for i in range(40)]
    shown = DemoActivity().counters(rows, 100.0)
    assert all(r.steal_pct is not None for r in shown)
    steal = [r.steal_pct or 0.0 for r in shown]
    assert all(0.0 <= s <= 100.0 for s in steal)
    assert any(s > 5 for s in steal) and sorted(steal)[20] < 5  # a few starved, most not
    latencies = [r.disk_latency_ms for r in shown if r.disk_latency_ms is not None]
    assert len(latencies) > 30 and all(0.1 < ms < 50 for ms in latencies)
    idle = [r for r in shown if (r.disk_rd_iops or 0) + (r.disk_wr_iops or 0) < 1]
    assert all(r.disk_latency_ms is None for r in idle)  # no request, no latency
    assert all(r.net_pps is not None and r.net_pps >= 0 for r in shown)
    drops = [r.net_drops_ps for r in shown]
    assert 0 < sum(1 for d in drops if d) < 15  # most VMs drop nothing
    paused = DemoActivity().counters([replace(shown[0], state=PowerState.PAUSED)], 101.0)
    assert (paused[0].steal_pct, paused[0].net_pps, paused[0].disk_latency_ms) == (0.0, 0.0, None)
