"""The VM table on a real libvirtd + QEMU (TCG): states change on screen because libvirt said so.

The console's refresh interval is set to 10 minutes here, so no tick can happen during a test:
every state change the table shows must have come from a libvirt event.
"""

from __future__ import annotations

import pytest

from limen_tui.cli.factory import make_app
from limen_tui.config.settings import Settings
from limen_tui.model import DomainRow, PowerState
from limen_tui.ui.widgets.event_log import EventLog
from limen_tui.ui.widgets.vm_table import VmTable
from tests.conftest import MakeVm, Virsh
from tests.ui.helpers import wait_for

EVENTS_ONLY = Settings(refresh_interval=600.0)
pytestmark = pytest.mark.libvirtd


def _row(table: VmTable, name: str) -> DomainRow | None:
    return next((r for r in table.rows_by_key.values() if r.name == name), None)


def _state(table: VmTable, name: str) -> PowerState | None:
    row = _row(table, name)
    return None if row is None else row.state


async def test_start_pause_resume_destroy_from_outside_show_up_by_event(
    libvirtd: str, vm_factory: MakeVm, virsh: Virsh
) -> None:
    name = vm_factory("lifecycle")
    app = make_app([libvirtd], EVENTS_ONLY)
    async with app.run_test(size=(120, 40)):
        table = app.query_one(VmTable)
        await wait_for(lambda: _state(table, name) is PowerState.SHUTOFF, limit=30)
        ticks_before = app.main.ticks_applied

        virsh("start", name)
        await wait_for(lambda: _state(table, name) is PowerState.RUNNING, limit=30)
        virsh("suspend", name)
        await wait_for(lambda: _state(table, name) is PowerState.PAUSED, limit=30)
        virsh("resume", name)
        await wait_for(lambda: _state(table, name) is PowerState.RUNNING, limit=30)
        virsh("destroy", name)
        await wait_for(lambda: _state(table, name) is PowerState.SHUTOFF, limit=30)

        assert app.main.ticks_applied == ticks_before, "a tick ran: the test proves nothing"
        log = "\n".join(app.query_one(EventLog).lines)
        for word in (
            "started (booted)",
            "suspended (paused)",
            "resumed (unpaused)",
            "stopped (destroyed)",
        ):
            assert f"{name} {word}" in log


async def test_a_vm_defined_and_undefined_outside_appears_and_goes(
    libvirtd: str, vm_factory: MakeVm, virsh: Virsh
) -> None:
    app = make_app([libvirtd], EVENTS_ONLY)
    async with app.run_test(size=(80, 24)):
        table = app.query_one(VmTable)
        await wait_for(lambda: app.main.ticks_applied >= 1, limit=30)
        name = vm_factory("appears")
        await wait_for(lambda: _state(table, name) is PowerState.SHUTOFF, limit=30)
        virsh("undefine", name)
        await wait_for(lambda: _row(table, name) is None, limit=30)


async def test_running_vm_shows_real_cpu_and_memory_figures(
    libvirtd: str, vm_factory: MakeVm
) -> None:
    name = vm_factory("busy", start=True)
    app = make_app([libvirtd], Settings(refresh_interval=0.5))
    async with app.run_test(size=(120, 40)):
        table = app.query_one(VmTable)

        def measured() -> bool:
            row = _row(table, name)
            return row is not None and row.cpu_pct is not None and row.mem_used_kib is not None

        await wait_for(measured, limit=30)
        row = _row(table, name)
        assert row is not None
        assert row.vcpus == 1
        assert row.mem_max_kib == 64 * 1024
        assert row.cpu_pct is not None and 0.0 <= row.cpu_pct <= 100.0 * 1.5
        assert row.mem_used_kib is not None and row.mem_used_kib > 1024
        status = next(iter(app.fleet.hosts.values())).status if app.fleet else None
        assert status is not None and status.calls_last_tick is not None
        assert status.calls_last_tick <= 3  # one bulk call, plus flags when the set changed


HOSTILE_SUFFIXES = [
    "q\"uo'te;$(touch x)[bold]red[reverse]",
    "ünïcödé-名前-🖥",
    "long-" + "x" * 180,
]


async def test_hostile_names_from_a_real_host_are_shown_literally(
    libvirtd: str, vm_factory: MakeVm
) -> None:
    names = [vm_factory(suffix) for suffix in HOSTILE_SUFFIXES]
    app = make_app([libvirtd], EVENTS_ONLY)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(VmTable)
        await wait_for(lambda: all(_row(table, n) is not None for n in names), limit=30)
        await pilot.press("slash", *"limen-t-")
        await pilot.press("enter")
        shown = {}
        for _ in range(table.row_count):
            row = table.selected_row
            assert row is not None
            shown[row.name] = table.cells_at(table.cursor_row)[0]
            await pilot.press("down")
        for name in names:
            cell = shown[name]
            assert not cell.spans, "markup in a name was interpreted"
            assert name.startswith(cell.plain.removesuffix("…"))
        assert len(names[2]) > 190 and shown[names[2]].cell_len <= 40
