"""Many hosts in one console: the Host column always shows, the header keeps one fixed height
and does not churn. Hosts are test-driver fleets (libvirt's test driver, in process)."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from limen_tui.cli.factory import make_app
from limen_tui.config.settings import Settings
from limen_tui.demo import write_fleet
from limen_tui.fleet.updates import HostStatusChanged
from limen_tui.model import HostStatus, LinkState
from limen_tui.ui.app import LimenApp
from limen_tui.ui.widgets.host_bar import REDRAW_EVERY_S, HostBar
from limen_tui.ui.widgets.vm_table import VmTable

from .helpers import inject, injected_app, wait_for


def fleet_app(tmp_path: Path, hosts: int, vms: int = 4) -> LimenApp:
    uris = [f"test://{write_fleet(tmp_path / f'rack{i}.xml', vms)}" for i in range(hosts)]
    names = {uri: f"rack-{i}" for i, uri in enumerate(uris)}
    return make_app(uris, Settings(refresh_interval=0.5), names=names)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_host_column_shows_whenever_there_is_more_than_one_host(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    app = fleet_app(tmp_path, 2)
    async with app.run_test(size=size):
        table = app.query_one(VmTable)
        await wait_for(lambda: table.row_count == 8)
        keys = [c.key for c in table.shown_columns]
        assert "host" in keys
        # The same VM name on both racks: the rows tell them apart by their Host cell.
        col = keys.index("host")
        shown = {(table.cells_at(i)[0].plain, table.cells_at(i)[col].plain) for i in range(8)}
        first = table.cells_at(0)[0].plain
        assert {h for n, h in shown if n == first} == {"rack-0", "rack-1"}


async def test_ten_hosts_fit_in_a_two_line_summary_and_the_table_keeps_its_rows(
    tmp_path: Path,
) -> None:
    app = fleet_app(tmp_path, 10, vms=3)
    async with app.run_test(size=(80, 24)) as pilot:
        table, bar = app.query_one(VmTable), app.query_one(HostBar)
        await wait_for(lambda: table.row_count == 30)
        await wait_for(lambda: "10 live" in str(bar.render()))
        await pilot.pause()
        text = str(bar.render())
        assert bar.size.height == 2
        assert "10 hosts" in text and all(f"rack-{i}" in text for i in range(8))
        assert table.size.height >= 10  # the header did not eat the table


async def test_figures_that_change_every_tick_redraw_the_header_at_most_once_a_second() -> None:
    app = injected_app()  # no fleet polls: the test is the only one sending figures
    async with app.run_test(size=(120, 40)) as pilot:
        await inject(app)
        bar = app.query_one(HostBar)
        live = bar.statuses["demo"]
        await pilot.pause(1.1)
        draws = bar.draws
        started = time.monotonic()
        for i in range(30):  # 30 ticks' worth of new figures in 0.3 s
            app.publish(HostStatusChanged(_with_ms(live, 10.0 + i)))
            await pilot.pause(0.01)
        took = time.monotonic() - started
        # At most one draw a second of those 30 updates (a slow machine takes longer: more).
        assert bar.draws - draws <= 1 + int(took / REDRAW_EVERY_S) < 30
        await pilot.pause(1.1)
        assert "39 ms" in str(bar.render())  # the last figure did arrive
        assert bar.draws - draws <= 2 + int(took / REDRAW_EVERY_S)
        # A change of state is shown at once.
        app.publish(HostStatusChanged(_down(live)))
        await pilot.pause()
        assert "down" in str(bar.render())


def _with_ms(status: HostStatus, ms: float) -> HostStatus:
    return replace(status, refresh_ms=ms)


def _down(status: HostStatus) -> HostStatus:
    return replace(status, state=LinkState.DOWN, reason="gone")
