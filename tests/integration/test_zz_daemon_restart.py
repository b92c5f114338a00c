"""The daemon dies while the console runs: the host goes down with a reason and comes back.

Named to run last: it stops and restarts the harness's libvirtd.
"""

from __future__ import annotations

import pytest

from limen_tui.cli.factory import make_app
from limen_tui.config.settings import Settings
from limen_tui.model import LinkState
from limen_tui.ui.widgets.host_bar import HostBar
from limen_tui.ui.widgets.vm_table import VmTable
from tests.conftest import MakeVm
from tests.harness.libvirtd import ensure_libvirtd, stop_libvirtd
from tests.ui.helpers import wait_for

pytestmark = pytest.mark.libvirtd


async def test_daemon_that_dies_is_shown_down_then_live_again(
    libvirtd: str, vm_factory: MakeVm
) -> None:
    name = vm_factory("survivor")
    settings = Settings(refresh_interval=0.5, reconnect_min=0.2, reconnect_max=1.0)
    app = make_app([libvirtd], settings)
    async with app.run_test(size=(80, 24)) as pilot:
        bar = app.query_one(HostBar)
        table = app.query_one(VmTable)

        def state() -> LinkState | None:
            status = bar.statuses.get(libvirtd)
            return None if status is None else status.state

        await wait_for(lambda: any(r.name == name for r in table.rows_by_key.values()), 30)
        stop_libvirtd()
        try:
            await wait_for(lambda: state() is LinkState.DOWN, limit=30)
            reason = bar.statuses[libvirtd].reason
            assert reason, "down without a reason"
            # The console keeps running: keys still work while the host is down.
            await pilot.press("slash", *"survivor", "enter")
            assert [r.name for r in table.rows_by_key.values() if r.name == name] == [name]
        finally:
            ensure_libvirtd()
        await wait_for(lambda: state() is LinkState.LIVE, limit=60)
        await wait_for(lambda: table.shown_names() == [name], limit=30)
