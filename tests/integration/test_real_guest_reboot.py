"""A reboot a real guest answers by powering off (its init takes the ACPI button as power off):
the outcome says so as soon as libvirt's "stopped" event comes, not "succeeded", and not after
waiting out the confirmation timeout. What libvirt says of the guest afterwards decides what
the operation must have said."""

from __future__ import annotations

import time

import pytest

from limen_tui.cli.factory import make_app
from limen_tui.config.settings import Settings
from limen_tui.fleet.operations import Operation, OpState
from limen_tui.model import LinkState
from tests.conftest import MakeLinuxGuest, Virsh
from tests.ui.helpers import wait_for

pytestmark = pytest.mark.libvirtd


async def test_a_reboot_that_ends_in_power_off_is_not_confirmed_at_once(
    libvirtd: str, linux_guests: MakeLinuxGuest, virsh: Virsh
) -> None:
    guest = linux_guests("reboot", disks=(), nics=0)
    settings = Settings(refresh_interval=1.0, confirm_timeout=60)
    app = make_app([libvirtd], settings)
    async with app.run_test(size=(100, 30)):
        assert app.fleet is not None
        host = app.fleet.hosts[libvirtd]
        await wait_for(lambda: host.status.state is LinkState.LIVE, 30)
        await wait_for(lambda: any(r.name == guest.name for r in host.rows.values()), 30)
        row = next(r for r in host.rows.values() if r.name == guest.name)
        started = time.monotonic()
        op = await host.perform(Operation.new(libvirtd, row.uuid, row.name, "reboot"))
        took = time.monotonic() - started
        state = virsh("domstate", guest.name).strip()
    if state == "shut off":
        assert op.state is OpState.NOT_CONFIRMED, (op.state, op.error)
        assert "stopped instead" in op.error
        assert took < 50, "waited out the timeout although libvirt said it stopped"
    else:  # the guest did reboot: then, and only then, it succeeded
        assert op.state is OpState.SUCCEEDED, (state, op.state, op.error)
