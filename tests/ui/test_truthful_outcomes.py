"""An outcome is "succeeded" only when libvirt's event said so: on a real QEMU guest that
ignores ACPI (the harness's PXE stub), a reboot is "not confirmed", the row says "rebooting"
while it is in flight, and the console offers the next step (reset), asked, default No."""

from __future__ import annotations

import pytest

from limen_tui.cli.factory import make_app
from limen_tui.config.settings import Settings
from limen_tui.fleet.operations import OpState
from limen_tui.store.audit import AuditLog
from limen_tui.ui.screens.confirm import ConfirmScreen
from limen_tui.ui.widgets.operations import OperationsPane
from limen_tui.ui.widgets.vm_table import VmTable
from tests.conftest import MakeVm, Virsh

from .helpers import burst, wait_for

pytestmark = pytest.mark.libvirtd


async def test_a_reboot_the_guest_ignores_is_not_confirmed_and_reset_is_offered(
    libvirtd: str, vm_factory: MakeVm, virsh: Virsh
) -> None:
    name = vm_factory("deaf-reboot", start=True)
    audit = AuditLog()
    settings = Settings(refresh_interval=0.5, confirm_timeout=3.0)
    app = make_app([libvirtd], settings, audit=audit)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(VmTable)
        await wait_for(lambda: any(r.name == name for r in table.rows_by_key.values()), 30)
        await burst(pilot, "slash", *name, "enter")
        await wait_for(lambda: table.selected_row is not None and table.selected_row.name == name)
        key = table.selected_row.key if table.selected_row else None
        assert key is not None
        await burst(pilot, "r")
        await wait_for(lambda: table.busy.get(key) == "rebooting", limit=5)
        pane = app.query_one(OperationsPane)
        await wait_for(lambda: any(o.state.finished for o in pane.operations.values()), 20)
        (op,) = pane.operations.values()
        assert op.state is OpState.NOT_CONFIRMED, op
        assert "showed no reboot" in op.error and "ACPI" in op.error
        assert key not in table.busy
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), limit=5)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Reset it now?" in app.screen.question.plain
        await burst(pilot, "enter")  # No
        assert not isinstance(app.screen, ConfirmScreen)
        assert len(pane.operations) == 1, "Enter said yes to the reset"
    assert virsh("domstate", name).strip() == "running"
    records = [(r.action, r.outcome) for r in audit.query() if r.vm == name]
    assert records == [("reboot", "failed")]
    (record,) = [r for r in audit.query() if r.vm == name]
    assert record.error and "showed no reboot" in record.error
    audit.close()
