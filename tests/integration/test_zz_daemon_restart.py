"""The daemon dies while the console runs: the host goes down with a reason and comes back,
as soon as the daemon answers again (not when the backoff says), keys answered meanwhile,
rows right, every action accounted for in the audit log.

Named to run last: it kills and restarts the harness's libvirtd, which other sessions share.
Every outage here is short (a few seconds) and the daemon is running again when a test ends,
pass or fail (`daemon_down` restarts it in `finally`).
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from limen_tui.cli.factory import make_app
from limen_tui.config.settings import Settings
from limen_tui.fleet.operations import Operation, OpState
from limen_tui.model import LinkState
from limen_tui.store.audit import AuditLog
from limen_tui.ui.widgets.host_bar import HostBar
from limen_tui.ui.widgets.vm_table import VmTable
from tests.conftest import MakeVm
from tests.harness.fault_scenarios import daemon_back
from tests.harness.libvirtd import stop_libvirtd
from tests.ui.helpers import wait_for

pytestmark = pytest.mark.libvirtd


@asynccontextmanager
async def daemon_down(sig: signal.Signals = signal.SIGKILL) -> AsyncIterator[None]:
    """libvirtd stopped for the body of the `with`, started again (off the loop) after it."""
    await asyncio.to_thread(stop_libvirtd, sig=sig)
    try:
        yield
    finally:
        await asyncio.to_thread(daemon_back)


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
        async with daemon_down(signal.SIGTERM):
            await wait_for(lambda: state() is LinkState.DOWN, limit=30)
            reason = bar.statuses[libvirtd].reason
            assert reason, "down without a reason"
            # The console keeps running: keys still work while the host is down.
            await pilot.press("slash", *"survivor", "enter")
            assert [r.name for r in table.rows_by_key.values() if r.name == name] == [name]
        await wait_for(lambda: state() is LinkState.LIVE, limit=60)
        await wait_for(lambda: table.shown_names() == [name], limit=30)


async def test_back_as_soon_as_the_daemon_answers_not_after_the_backoff(
    libvirtd: str, vm_factory: MakeVm, tmp_path: Path
) -> None:
    """A 60 s backoff, the daemon killed for ~3 s, then for 20 s: each time the console is live
    again within seconds of the daemon answering (the probe ended the pause), keys answered during
    the outage, the rows right after it, and an action tried during the outage refused and
    audited."""
    name = vm_factory("prober")
    settings = Settings(refresh_interval=0.5, reconnect_min=60, reconnect_max=60)
    audit = AuditLog(tmp_path / "audit.sqlite")
    app = make_app([libvirtd], settings, audit=audit)
    async with app.run_test(size=(100, 30)) as pilot:
        bar = app.query_one(HostBar)
        table = app.query_one(VmTable)
        assert app.fleet is not None
        host = app.fleet.hosts[libvirtd]

        def state() -> LinkState | None:
            status = bar.statuses.get(libvirtd)
            return None if status is None else status.state

        await wait_for(lambda: state() is LinkState.LIVE, 30)
        await wait_for(lambda: name in table.shown_names(), 30)
        row = next(r for r in host.rows.values() if r.name == name)
        refused: list[Operation] = []
        for outage, down_s in enumerate((3, 20)):
            async with daemon_down():
                await wait_for(lambda: state() is LinkState.DOWN, limit=30)
                await pilot.press("slash", *f"pro{outage}", "escape")
                refused.append(await host.perform(Operation.new(libvirtd, row.uuid, name, "start")))
                await asyncio.sleep(down_s)
            answered = time.monotonic()
            await wait_for(lambda: state() is LinkState.LIVE, limit=20)
            assert time.monotonic() - answered < 20, "waited for the 60 s backoff"
            await wait_for(lambda: name in table.shown_names(), 30)
        assert all(op.state is OpState.REFUSED for op in refused), [
            (op.state, op.error) for op in refused
        ]
        assert all("nothing was sent" in op.error for op in refused)
    ids = {op.id for op in refused}
    records = [r for r in audit.query() if r.params.get("operation") in ids]
    assert len(records) == 2 and {r.outcome for r in records} == {"refused"}
    audit.close()
