"""Several hosts in one console: real QEMU and test-driver fleets through libvirtd, health
from psutil (this machine) and over a real sshd (a "remote" host), and a host that is down."""

from __future__ import annotations

from pathlib import Path

import pytest

from limen_tui.cli.factory import make_app
from limen_tui.config.hosts import HostEntry, HostsConfig
from limen_tui.config.settings import Settings
from limen_tui.demo import write_fleet
from limen_tui.hosts.monitor import HealthSettings, HealthUpdated
from limen_tui.hosts.ssh import SshSettings, SshTarget
from limen_tui.model import LinkState
from limen_tui.ui.widgets.host_bar import HostBar
from limen_tui.ui.widgets.vm_table import VmTable
from tests.conftest import MakeVm
from tests.harness.sshd import SshServer
from tests.ui.helpers import wait_for

pytestmark = pytest.mark.libvirtd


async def test_four_hosts_in_one_table_with_health_and_one_host_down(
    libvirtd: str, vm_factory: MakeVm, sshd: SshServer, tmp_path: Path
) -> None:
    name = vm_factory("fleet", start=True)
    rack = write_fleet(tmp_path / "rack.xml", 12)
    lab = write_fleet(tmp_path / "lab.xml", 5, seed=3)
    down = "qemu+tcp://127.0.0.1:1/system"
    hosts = HostsConfig(
        hosts=(
            HostEntry("hv-local", libvirtd, None),
            HostEntry(
                "rack",
                "test+unix://" + str(rack),
                SshTarget(
                    "rack", sshd.host, sshd.port, sshd.user, sshd.key_path, sshd.known_hosts_path
                ),
            ),
            HostEntry("lab", "test+unix://" + str(lab), None, health=False),
            HostEntry("gone", down, None, health=False),
        ),
        health=HealthSettings(interval=0.5, timeout=5),
        ssh=SshSettings(connect_timeout=5, ssh_config=None),
    )
    names = {h.uri: h.name for h in hosts.hosts}
    app = make_app(
        [h.uri for h in hosts.hosts],
        Settings(refresh_interval=0.5, reconnect_min=0.2, reconnect_max=1.0, connect_timeout=5),
        hosts_config=hosts,
        names=names,
        health=True,
    )
    async with app.run_test(size=(160, 50)) as pilot:
        table = app.query_one(VmTable)
        bar = app.query_one(HostBar)

        def hosts_in_table() -> set[str]:
            return {r.host for r in table.rows_by_key.values()}

        await wait_for(lambda: {"hv-local", "rack", "lab"} <= hosts_in_table(), limit=30)
        assert sum(r.host == "rack" for r in table.rows_by_key.values()) == 12
        assert sum(r.host == "lab" for r in table.rows_by_key.values()) == 5
        assert any(r.name == name and r.host == "hv-local" for r in table.rows_by_key.values())
        assert "host" in [c.key for c in table.shown_columns]  # wide: a host column

        await wait_for(
            lambda: (
                bar.statuses.get("gone") is not None
                and bar.statuses["gone"].state is LinkState.DOWN
            ),
            limit=15,
        )
        assert bar.statuses["gone"].reason
        assert all(bar.statuses[h].state is LinkState.LIVE for h in ("hv-local", "rack", "lab"))

        def health_latest() -> dict[str, HealthUpdated]:
            hosts = app.fleet.hosts if app.fleet is not None else {}
            return {
                k: h.health.latest
                for k, h in hosts.items()
                if h.health is not None and h.health.latest is not None
            }

        await wait_for(lambda: {"hv-local", "rack"} <= set(health_latest()), limit=30)
        local, remote = health_latest()["hv-local"], health_latest()["rack"]
        assert local.sample.mem_pct is not None and remote.sample.mem_pct is not None
        # The header shows them once the UI has the samples (after the fleet has them).
        await wait_for(lambda: "cpu" in bar.health["rack"].plain, limit=10)
        assert "mem" in bar.health["rack"].plain

        await pilot.press("H")  # the host list, then only rack's VMs
        from limen_tui.ui.screens.hosts import HostsScreen

        assert isinstance(app.screen, HostsScreen)
        await pilot.press("down", "enter")
        await wait_for(lambda: {r.host for r in table.shown_rows()} == {"rack"}, limit=5)
        from textual.widgets import Input

        assert app.query_one("#filter", Input).value == "host:rack"
        assert {r.host for r in table.shown_rows()} == {"rack"}
        assert len(table.shown_rows()) == 12
