"""Log panes and the serial console in the TUI, on a real libvirtd + QEMU and a real sshd."""

from __future__ import annotations

import asyncio
import os

import libvirt
import pytest
from textual.widgets import TabbedContent

from limen_tui.cli.factory import make_app
from limen_tui.config.hosts import HostEntry, HostsConfig
from limen_tui.config.settings import Settings
from limen_tui.hosts.monitor import HealthSettings
from limen_tui.hosts.ssh import SshSettings, SshTarget
from limen_tui.ui.app import LimenApp
from limen_tui.ui.screens.confirm import ConfirmScreen
from limen_tui.ui.screens.serial_console import SerialConsoleScreen
from limen_tui.ui.widgets.log_pane import LogPane
from limen_tui.ui.widgets.vm_table import VmTable
from limen_tui.virt.serial_console import SerialConsole, SerialConsoleBusy
from tests.conftest import MakeVm, Virsh
from tests.harness.slow_proxy import SlowLibvirtProxy
from tests.harness.sshd import SshServer
from tests.ui.helpers import wait_for

pytestmark = pytest.mark.libvirtd


async def _select(app: LimenApp, name: str) -> None:
    table = app.query_one(VmTable)
    await wait_for(lambda: any(r.name == name for r in table.rows_by_key.values()), 30)
    app.query_one(VmTable).set_filter(name)
    await wait_for(lambda: table.selected_row is not None and table.selected_row.name == name)


def _texts(pane: LogPane) -> str:
    return "\n".join(line.text for line in pane.buffer.copy())


async def test_qemu_and_daemon_logs_of_this_machine(libvirtd: str, vm_factory: MakeVm) -> None:
    name = vm_factory("logged", start=True)
    app = make_app([libvirtd], Settings(refresh_interval=1.0))
    async with app.run_test(size=(120, 40)) as pilot:
        await _select(app, name)
        await pilot.press("g", "g")  # events -> operations -> QEMU log
        assert app.query_one("#logs", TabbedContent).active == "qemu-tab"
        qemu = app.query_one("#qemu", LogPane)
        await wait_for(lambda: f"guest={name}" in _texts(qemu), limit=15)
        await pilot.press("g")  # the hypervisor daemon's log: no journald here, so its file
        daemon = app.query_one("#daemon", LogPane)
        await wait_for(
            lambda: "libvirtd.log" in daemon.source_note or "journalctl" in daemon.source_note,
            limit=15,
        )


@pytest.mark.parametrize("health", [True, False], ids=["with-health", "health-off"])
async def test_remote_qemu_log_over_ssh_with_a_hostile_name(
    libvirtd: str, vm_factory: MakeVm, sshd: SshServer, health: bool
) -> None:
    """The host owns its SSH link: its logs come over it whether or not health is sampled."""
    name = vm_factory("q'uo\"te $(touch pwned-by-limen) x", start=True)
    proxy = SlowLibvirtProxy(bind="127.0.0.2")  # a "remote" host: libvirt over TCP, logs over SSH
    try:
        entry = HostEntry(
            "far",
            proxy.uri(),
            SshTarget("far", sshd.host, sshd.port, sshd.user, sshd.key_path, sshd.known_hosts_path),
            health=health,
        )
        hosts = HostsConfig(
            (entry,), HealthSettings(interval=1.0), SshSettings(connect_timeout=5, ssh_config=None)
        )
        app = make_app(
            [entry.uri],
            Settings(refresh_interval=1.0),
            hosts_config=hosts,
            names={entry.uri: "far"},
            health=True,
        )
        # Bounded as a whole: once (1 of 7 full runs) this waited without end with the console
        # alive; a timeout's traceback says where it waits.
        async with asyncio.timeout(180), app.run_test(size=(120, 40)) as pilot:
            await _select(app, name)
            await pilot.press("g", "g")
            qemu = app.query_one("#qemu", LogPane)
            await wait_for(lambda: "guest=" in _texts(qemu), limit=20)
            # The file was found by the name with its quotes (libvirt shell-quotes it inside)
            assert "pwned-by-limen" in _texts(qemu)
        for home in ("/root", "/tmp"):
            assert not await asyncio.to_thread(os.path.exists, f"{home}/pwned-by-limen")
    finally:
        proxy.close()


async def test_serial_console_shows_boot_text_detaches_and_reports_busy(
    libvirtd: str, vm_factory: MakeVm, virsh: Virsh
) -> None:
    name = vm_factory("serial")
    virsh("start", "--paused", name)  # attach before the firmware speaks: output is not kept
    app = make_app([libvirtd], Settings(refresh_interval=1.0))
    async with app.run_test(size=(120, 40)) as pilot:
        await _select(app, name)
        await pilot.press("c")
        await wait_for(lambda: isinstance(app.screen, SerialConsoleScreen), limit=15)
        screen = app.screen
        assert isinstance(screen, SerialConsoleScreen) and screen.console is not None

        other = libvirt.open(libvirtd)
        try:
            dom = other.lookupByName(name)
            loop = asyncio.get_running_loop()
            with pytest.raises(SerialConsoleBusy):
                await asyncio.to_thread(
                    lambda: SerialConsole.attach(
                        dom, loop=loop, on_output=lambda _b: None, on_closed=lambda _r: None
                    )
                )
        finally:
            other.close()

        virsh("resume", name)
        await wait_for(
            lambda: "SeaBIOS" in screen.terminal.text() or "iPXE" in screen.terminal.text(),
            limit=30,
        )
        await pilot.press("ctrl+right_square_bracket")
        await wait_for(lambda: not isinstance(app.screen, SerialConsoleScreen), limit=10)

        # Someone else holds it now: the console offers to take it over.
        holder = libvirt.open(libvirtd)
        try:
            dom = holder.lookupByName(name)
            held = await asyncio.to_thread(
                lambda: SerialConsole.attach(
                    dom, loop=loop, on_output=lambda _b: None, on_closed=lambda _r: None
                )
            )
            await pilot.press("c")
            await wait_for(lambda: isinstance(app.screen, ConfirmScreen), limit=15)
            await pilot.press("y")
            await wait_for(
                lambda: (
                    isinstance(app.screen, SerialConsoleScreen) and app.screen.console is not None
                ),
                limit=15,
            )
            await wait_for(lambda: not held.attached, limit=10)  # taken over
            await asyncio.to_thread(held.detach)
        finally:
            holder.close()
        await pilot.press("ctrl+right_square_bracket")
