"""Everything known about the selected VM, one fact a line."""

from __future__ import annotations

from urllib.parse import urlsplit

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll

from limen_tui.model import DomainRow
from limen_tui.model.devices import Devices, tunnel_command
from limen_tui.ui import text as fmt
from limen_tui.ui.columns import STATE_STYLE
from limen_tui.ui.widgets.fact_lines import Fact, FactLines

SPARKS = "▁▂▃▄▅▆▇█"
NO_VM = "No VM selected"


def sparkline(values: list[float], top: float = 100.0) -> str:
    """CPU % history as block characters, 0 at the bottom and `top` (100 %) at the top."""
    if not values:
        return ""
    scale = len(SPARKS) - 1
    return "".join(SPARKS[max(0, min(scale, round(v / top * scale)))] for v in values)


def details_table(
    row: DomainRow,
    devices: Devices | None = None,
    cpu_history: list[float] | None = None,
    uri: str = "",
) -> Table:
    """The details as one rich table (the VM screen prints it among other parts)."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for label, value in details_facts(row, devices, cpu_history, uri):
        grid.add_row(label, value)
    return grid


def details_facts(
    row: DomainRow,
    devices: Devices | None = None,
    cpu_history: list[float] | None = None,
    uri: str = "",
) -> list[Fact]:
    active = row.state.is_active
    facts: list[Fact] = []

    def add(label: str, value: str | Text) -> None:
        facts.append((label, value if isinstance(value, Text) else fmt.literal(value)))

    add("Name", Text(fmt.printable(row.name), overflow="fold"))
    add("UUID", row.uuid)
    add("Host", row.host)
    add("State", Text(row.state.value, style=STATE_STYLE.get(row.state, "")))
    add("vCPUs", fmt.NA if row.vcpus is None else str(row.vcpus))
    if not active:
        add("CPU", "")
    elif row.cpu_pct is None and row.cpu_host_pct is None:
        add("CPU", fmt.NA)
    else:
        cpu = fmt.percent(row.cpu_pct, active=True)
        host_cpu = fmt.percent(row.cpu_host_pct, active=True)
        add("CPU", f"{cpu}% of its vCPUs, {host_cpu}% of host")
    add(
        "Memory",
        f"{fmt.kib(row.mem_used_kib, active=active) or '-'} used"
        f" / {fmt.kib(row.mem_current_kib)} now / {fmt.kib(row.mem_max_kib)} max",
    )
    add(
        "Disk r/w",
        fmt.pair(row.disk_rd_bps, row.disk_wr_bps, active=active) + " /s" if active else "",
    )
    add(
        "Net rx/tx",
        fmt.pair(row.net_rx_bps, row.net_tx_bps, active=active) + " /s" if active else "",
    )
    add("Autostart", fmt.NA if row.autostart is None else ("yes" if row.autostart else "no"))
    add("Persistent", fmt.NA if row.persistent is None else ("yes" if row.persistent else "no"))
    if devices is not None:
        for label, items in (
            ("Disks", devices.disks),
            ("NICs", devices.nics),
            ("Graphics", devices.graphics),
        ):
            for i, item in enumerate(items or ["none"]):
                add(label if i == 0 else "", Text(fmt.printable(item), overflow="fold"))
        parts = urlsplit(uri) if uri else None
        for kind, listen, port in devices.displays:
            command = tunnel_command(
                kind,
                listen,
                port,
                parts.hostname if parts else None,
                parts.username if parts else None,
            )
            add("Reach it", Text(fmt.printable(command), overflow="fold"))
        if devices.description:
            add("Note", Text(fmt.printable(devices.description), overflow="fold"))
    return facts


class DetailsPanel(VerticalScroll):
    """The selected VM's details; the table tells it what to show. Focusable (Tab) and
    scrollable, for what is below the fold at 80x24; `f` shows it all on the VM screen."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.body = FactLines(NO_VM)
        self.row: DomainRow | None = None
        self.devices: Devices | None = None
        self.cpu_history: list[float] = []
        self.uri = ""
        """The host's libvirt URI: where an ssh tunnel to its VNC/SPICE ports would go."""

    def compose(self) -> ComposeResult:
        yield self.body

    def show(self, row: DomainRow | None) -> None:
        if row == self.row:
            return
        if row is None or self.row is None or row.key != self.row.key:
            self.devices, self.cpu_history = None, []
        self.row = row
        self._render_row()

    def show_devices(
        self, key: tuple[str, str], devices: Devices, cpu: list[float] | None = None
    ) -> None:
        if self.row is None or self.row.key != key:
            return  # the operator moved on
        self.devices = devices
        self.cpu_history = cpu or []
        self._render_row()

    def _render_row(self) -> None:
        row = self.row
        if row is None:
            self.body.say(NO_VM)
        else:
            self.body.show(details_facts(row, self.devices, self.cpu_history, self.uri))
