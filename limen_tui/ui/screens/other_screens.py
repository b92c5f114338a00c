"""Opening the screens the main screen leads to, each handed what it needs (never the app).

Functions of the screen that opens them, so the main screen stays a layout and its keys.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.screen import Screen

from limen_tui.fleet.errors import SerialConsoleInUse, explain
from limen_tui.fleet.fleet import Fleet
from limen_tui.fleet.host import Host
from limen_tui.fleet.registry import ACTIONS, OTHER_KEYS
from limen_tui.model import DomainRow
from limen_tui.store.cache import Cache
from limen_tui.ui import text as fmt
from limen_tui.ui.command_line import help_lines
from limen_tui.ui.keys import key_label
from limen_tui.ui.screens.confirm import ConfirmScreen
from limen_tui.ui.widgets.log_pane import LogPane

if TYPE_CHECKING:
    from limen_tui.ui.screens.snapshots import RunAction

# Each screen's module is imported when the operator first opens it, not at start: the first
# frame waits for nothing a session may never use.

MORE_KEYS = [
    ("↑ ↓ PgUp PgDn Home End", "Move in the table"),
    ("Tab", "Next pane (details, logs: they scroll)"),
    ("click a header", "Sort by that column"),
]

HelpGroups = list[tuple[str, list[tuple[str, str]]]]
"""(screen or pane, [(keys as the operator reads them, what they do)])."""


def help_keys(bindings: list[BindingType], keymap: dict[str, str]) -> HelpGroups:
    """Every key, grouped by where it works, as the operator has them now (remapped keys
    included), read from the registry's bindings so the list never goes stale."""

    def rows(of: list[BindingType], remap: dict[str, str]) -> list[tuple[str, str]]:
        return [
            (key_label(remap.get(b.id, b.key) if b.id else b.key), b.description or b.action)
            for b in of
            if isinstance(b, Binding) and b.description
        ]

    from limen_tui.ui.screens.devices import DeviceScreen
    from limen_tui.ui.screens.domain_xml import XmlScreen
    from limen_tui.ui.screens.evacuate import EvacuationScreen
    from limen_tui.ui.screens.hosts import HostsScreen
    from limen_tui.ui.screens.migrate_dialog import MigrateDialog
    from limen_tui.ui.screens.migration_view import MigrationScreen
    from limen_tui.ui.screens.networks import NetworksScreen
    from limen_tui.ui.screens.pools import PoolsScreen
    from limen_tui.ui.screens.snapshots import SnapshotScreen
    from limen_tui.ui.screens.vm_screen import VmScreen
    from limen_tui.ui.screens.volumes import VolumesScreen

    vm_ids = set(ACTIONS) | {c.id for c in OTHER_KEYS}
    on_vms = rows([b for b in bindings if isinstance(b, Binding) and b.id in vm_ids], keymap)
    screen = rows([b for b in bindings if isinstance(b, Binding) and b.id not in vm_ids], keymap)
    return [
        ("Main screen", screen + MORE_KEYS),
        ("On the selected or marked VMs (the table has the focus)", on_vms),
        ("A log pane (it has the focus)", rows(LogPane.BINDINGS, {})),
        ("VM screen (f)", rows(VmScreen.BINDINGS, {})),
        ("Snapshots (x)", rows(SnapshotScreen.BINDINGS, {})),
        ("Storage pools (P, :pool)", rows(PoolsScreen.BINDINGS, {})),
        ("Volumes of a pool (Enter on a pool, :vol POOL)", rows(VolumesScreen.BINDINGS, {})),
        ("Networks (N, :net)", rows(NetworksScreen.BINDINGS, {})),
        ("Devices and media (d in the VM screen)", rows(DeviceScreen.BINDINGS, {})),
        ("Domain XML (X in the VM screen)", rows(XmlScreen.BINDINGS, {})),
        ("Serial console (c)", [("Ctrl+]", "Detach"), ("any other key", "To the guest")]),
        ("Hosts (H)", rows(HostsScreen.BINDINGS, {})),
        ("Migration dialog (G)", rows(MigrateDialog.BINDINGS, {})),
        ("Migration view (G on a migrating VM)", rows(MigrationScreen.BINDINGS, {})),
        ("Evacuation (:evacuate HOST)", rows(EvacuationScreen.BINDINGS, {})),
        ("Command line (:)", help_lines()),
    ]


def hosts(
    screen: Screen[Any],
    fleet: Fleet | None,
    chosen: Callable[[str], None],
    evacuate: Callable[[str], None] | None = None,
) -> None:
    def answered(host: str | None) -> None:
        if host is not None:
            chosen(host)

    from limen_tui.ui.screens.hosts import HostsScreen

    shown = HostsScreen(fleet.hosts if fleet is not None else {}, evacuate)
    screen.app.push_screen(shown, answered)


def pools(screen: Screen[Any], host: Host | None, pool: str = "") -> None:
    if host is None:
        screen.notify("No host", severity="warning")
        return
    from limen_tui.ui.screens.pools import PoolsScreen

    screen.app.push_screen(PoolsScreen(host, open_pool=pool))


def networks(screen: Screen[Any], host: Host | None) -> None:
    if host is None:
        screen.notify("No host", severity="warning")
        return
    from limen_tui.ui.screens.networks import NetworksScreen

    screen.app.push_screen(NetworksScreen(host))


def diagnostics(screen: Screen[Any], fleet: Fleet | None, cache: Cache | None) -> None:
    from limen_tui.ui.screens.diagnostics import DiagnosticsScreen

    screen.app.push_screen(DiagnosticsScreen(fleet, cache))


def snapshots(
    screen: Screen[Any], row: DomainRow | None, host: Host | None, run: RunAction
) -> None:
    if row is None or host is None:
        screen.notify("No VM selected", severity="warning")
        return
    from limen_tui.ui.screens.snapshots import SnapshotScreen

    screen.app.push_screen(SnapshotScreen(row, host, run))


def vm_screen(screen: Screen[Any], row: DomainRow | None, host: Host | None) -> None:
    if row is None or host is None:
        screen.notify("No VM selected", severity="warning")
        return
    from limen_tui.ui.screens.vm_screen import VmScreen

    screen.app.push_screen(VmScreen(row, host))


def serial_console(screen: Screen[Any], row: DomainRow | None, host: Host | None) -> None:
    if row is None or host is None or not row.state.is_active:
        screen.notify("Select a running VM to open its serial console", severity="warning")
        return
    screen.run_worker(
        _attach(screen, row, host, force=False),
        group="console",
        exclusive=True,
        exit_on_error=False,
        description=f"opening the serial console of {fmt.printable(row.name)}",
    )


async def _attach(screen: Screen[Any], row: DomainRow, host: Host, *, force: bool) -> None:
    from limen_tui.ui.screens.serial_console import SerialConsoleScreen

    console = SerialConsoleScreen(row, host, force=force)
    try:
        await console.attach()
    except SerialConsoleInUse:
        _offer_takeover(screen, row, host)
        return
    except Exception as exc:
        screen.notify(
            f"cannot open the console of {fmt.printable(row.name)}: {explain(exc)}",
            severity="error",
            markup=False,
        )
        return
    screen.app.push_screen(console)


def _offer_takeover(screen: Screen[Any], row: DomainRow, host: Host) -> None:
    question = Text("The console of ", end="").append_text(fmt.literal(row.name, "bold"))
    question.append(" is in use by another client (virsh console?). Take it over?")

    def answered(yes: bool | None) -> None:
        if yes:
            screen.run_worker(
                _attach(screen, row, host, force=True),
                group="console",
                exclusive=True,
                exit_on_error=False,
                description=f"taking over the serial console of {fmt.printable(row.name)}",
            )

    screen.app.push_screen(ConfirmScreen(question), answered)


def viewer(screen: Screen[Any], row: DomainRow | None, host: Host | None) -> None:
    """Open the VM's graphical console in virt-viewer, when it is installed here."""
    if row is None or host is None:
        screen.notify("No VM selected", severity="warning")
        return
    program = shutil.which("virt-viewer")
    if program is None:
        screen.notify(
            "virt-viewer is not installed here; the details show an ssh tunnel "
            "to use from your workstation",
            severity="warning",
        )
        return
    argv = [program, "--connect", host.uri, "--uuid", row.uuid]

    def launch() -> None:
        subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    screen.run_worker(
        launch, thread=True, group="viewer", exit_on_error=False, description="virt-viewer"
    )
    screen.notify(f"virt-viewer started for {fmt.printable(row.name)}", markup=False)
