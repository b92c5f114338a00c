"""`f` (or "Everything about it" in the action menu): one VM on the whole terminal.

What the details pane cannot fit at 80x24: every disk, NIC and graphics device, the ssh tunnel
to its display, its description, its CPU history. Scrolls; Esc goes back to the table.
"""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from limen_tui.fleet.errors import explain
from limen_tui.fleet.host import Host
from limen_tui.model import DomainRow
from limen_tui.model.devices import Devices
from limen_tui.ui import text as fmt
from limen_tui.ui.screens.vm_changes import open_devices, open_domain_xml
from limen_tui.ui.widgets.details import details_table, sparkline
from limen_tui.ui.worker_failures import WorkerFailuresToApp

REFRESH_SECONDS = 1.0
"""How often the figures are read again from the host's rows (a dict lookup, no libvirt call)."""


class VmScreen(WorkerFailuresToApp, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,f", "app.pop_screen", "Back"),
        Binding("f5,ctrl+r", "reload", "Read devices again"),
        Binding("d", "devices", "Devices and media"),
        Binding("X", "domain_xml", "Domain XML"),
    ]
    AUTO_FOCUS = "#vm-body"
    DEFAULT_CSS = """
    VmScreen #vm-title { height: 1; background: $primary-background; padding: 0 1; }
    VmScreen #vm-body { height: 1fr; border: round $primary; padding: 0 1; }
    VmScreen #vm-body:focus { border: round $accent; }
    """

    def __init__(self, row: DomainRow, host: Host) -> None:
        super().__init__()
        self.row = row
        self.host = host
        self.devices: Devices | None = None
        self.cpu: list[float] = []
        self.problem = ""

    def compose(self) -> ComposeResult:
        title = Text("VM ", style="bold", end="").append_text(fmt.literal(self.row.name, "bold"))
        title.append(" on ").append_text(fmt.literal(self.row.host))
        title.append("  ·  Esc back", style="dim")
        yield Static(title, id="vm-title")
        with VerticalScroll(id="vm-body"):
            yield Static(id="vm-facts")
        yield Footer()

    def on_mount(self) -> None:
        self._draw()
        self.action_reload()
        self.set_interval(REFRESH_SECONDS, self._follow_row)

    def _follow_row(self) -> None:
        row = self.host.rows.get(self.row.uuid)
        if row is not None and row != self.row:
            self.row = row
            self._draw()

    def action_reload(self) -> None:
        self._fetch()

    def action_devices(self) -> None:
        open_devices(self, self.row, self.host, then=self.action_reload)

    def action_domain_xml(self) -> None:
        open_domain_xml(self, self.row, self.host, then=self.action_reload)

    @work(exclusive=True, group="vm-screen", exit_on_error=False)
    async def _fetch(self) -> None:
        try:
            self.devices = await self.host.devices(self.row.uuid)
            self.cpu = await self.host.cpu_history(self.row.uuid)
            self.problem = ""
        except Exception as exc:
            self.problem = f"cannot read its devices: {explain(exc)}"
        self._draw()

    def _draw(self) -> None:
        parts: list[object] = [details_table(self.row, self.devices, None, self.host.uri)]
        if self.devices is None and not self.problem:
            parts.append(Text("\nreading its devices…", style="dim"))
        if self.problem:
            parts.append(Text("\n" + self.problem, style="red"))
        if self.cpu:
            parts.append(Text(f"\nCPU % (last {len(self.cpu)} samples)", style="bold"))
            parts.append(Text(sparkline(self.cpu)))
        self.query_one("#vm-facts", Static).update(Group(*parts))  # type: ignore[arg-type]
