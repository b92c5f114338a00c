"""A host behind a slow, lossy network: 200 ms each way and 5% of the chunks held one
retransmission timeout more (a user-space link: this kernel has no `sch_netem` for `tc netem`;
tests/harness/slow_proxy.py says how it behaves). The host stays live with its rows right, an
event still arrives, the host line shows what its ticks cost, and neither the other host nor the
keys wait for it.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from limen_tui.cli.factory import make_app
from limen_tui.demo import demo_uri
from limen_tui.model import PowerState
from limen_tui.ui.widgets.vm_table import VmTable
from tests.conftest import MakeVm, Virsh
from tests.harness.fault_scenarios import FAULT_SETTINGS, FaultConsole, slow_link
from tests.harness.slow_proxy import SlowLibvirtProxy

pytestmark = pytest.mark.libvirtd

SLOW = replace(FAULT_SETTINGS, connect_timeout=15, call_timeout=15)
"""A 200 ms link: a libvirt call is a few round trips; the timeouts fit a slow host."""


async def test_a_slow_lossy_link_stays_live_and_right_and_costs_no_keys(
    libvirtd: str, vm_factory: MakeVm, virsh: Virsh
) -> None:
    name = vm_factory("slownet", start=True)
    proxy = SlowLibvirtProxy(latency=0.2, loss=0.05)
    uri = proxy.uri()
    try:
        app = make_app([demo_uri(), uri], SLOW, demo=True)
        async with app.run_test(size=(100, 30)) as pilot:
            console = FaultConsole(app, pilot, uri, "demo")
            table = app.query_one(VmTable)

            def state() -> PowerState | None:
                row = next((r for r in table.rows_by_key.values() if r.name == name), None)
                return None if row is None else row.state

            await console.until(lambda: state() is PowerState.RUNNING, 60, "the VM shown running")
            result = await slow_link(
                console,
                6,
                change=lambda: virsh("suspend", name),
                changed=lambda: state() is PowerState.PAUSED,
            )
            assert result.back_s is not None  # the event came through the slow link
            assert result.keys_lost == 0 and result.key_ms
            assert result.other_ticks >= 6, "the other host waited for the slow one"
            assert not result.reason, f"the slow host was shown not live: {result.reason}"
            status = console.fleet.hosts[uri].status
            assert status.refresh_ms is not None and status.refresh_ms >= 200  # 2 x 200 ms
            assert proxy.held > 0, "no chunk was held as lost: the link was not lossy"
    finally:
        proxy.close()
