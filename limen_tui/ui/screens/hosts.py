"""`H`: every host with its state, and what libvirt knows about the highlighted one.

Enter shows only that host's VMs in the table; `a` shows all hosts again.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from limen_tui.fleet.reads import HostOverview
from limen_tui.model import HostStatus, PowerState, human_bytes
from limen_tui.ui import text as fmt
from limen_tui.ui.health_view import gauges, summary
from limen_tui.ui.widgets.host_bar import LINK_STYLE
from limen_tui.virt.connection import describe_error

if TYPE_CHECKING:
    from limen_tui.ui.app import LimenApp


def facts_table(status: HostStatus) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold")
    grid.add_column()
    f = status.facts
    grid.add_row("URI", fmt.literal(status.uri))
    grid.add_row(
        "State",
        Text(status.state.value, style=LINK_STYLE[status.state]).append(
            " since "
            + time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(status.since))
            + (f": {status.reason}" if status.reason else "")
        ),
    )
    if f is not None:
        grid.add_row("Host name", fmt.literal(f.hostname))
        grid.add_row("Hypervisor", fmt.literal(f"{f.hypervisor} {f.hypervisor_version}"))
        grid.add_row("libvirt", f.libvirt_version)
        grid.add_row(
            "CPU",
            fmt.literal(
                f"{f.cpu_model}, {f.cpus} CPUs at {f.mhz} MHz: {f.sockets} socket(s) x "
                f"{f.cores} core(s) x {f.threads} thread(s), {f.numa_nodes} NUMA node(s)"
            ),
        )
        grid.add_row("Memory", f"{human_bytes(f.memory_kib * 1024)}B")
    return grid


def overview_tables(o: HostOverview) -> list[Table | Text]:
    out: list[Table | Text] = []
    mem = o.node.memory
    if mem is not None and mem.get("total"):
        used = mem["total"] - mem.get("free", 0) - mem.get("buffers", 0) - mem.get("cached", 0)
        out.append(
            Text(
                f"Node memory: {human_bytes(used * 1024)}B used of "
                f"{human_bytes(mem['total'] * 1024)}B "
                f"({used / mem['total']:.0%}), by libvirt"
            )
        )
    else:
        out.append(Text("Node memory: n/a (the driver does not report it)"))
    pools = Table(title="Storage pools", title_justify="left", expand=True)
    for col in ("pool", "state", "capacity", "allocation", "available", "autostart"):
        pools.add_column(
            col, justify="right" if col in ("capacity", "allocation", "available") else "left"
        )
    for p in o.pools:
        pools.add_row(
            fmt.literal(p.name),
            p.state,
            human_bytes(p.capacity),
            human_bytes(p.allocation),
            human_bytes(p.available),
            "yes" if p.autostart else "no",
        )
    out.append(pools)
    nets = Table(title="Networks", title_justify="left", expand=True)
    for col in ("network", "state", "bridge", "autostart", "DHCP leases"):
        nets.add_column(col)
    for n in o.networks:
        nets.add_row(
            fmt.literal(n.name),
            "active" if n.active else "inactive",
            fmt.literal(n.bridge or "-"),
            "yes" if n.autostart else "no",
            fmt.literal("\n".join(n.leases) or "-"),
        )
    out.append(nets)
    return out


def health_cell(app: LimenApp, host: str) -> Text:
    update = app.health_latest.get(host)
    if update is not None:
        return summary(update)
    board = app.health_board
    if board is not None and host in board.monitors:
        return Text(board.monitors[host].state.value, style="dim")
    return Text("-", style="dim")


class HostsScreen(ModalScreen[str | None]):
    """Returns the host to show alone, "" for all hosts, or None to leave the filter alone."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,H", "dismiss(None)", "Close"),
        Binding("a", "dismiss('')", "All hosts"),
    ]
    DEFAULT_CSS = """
    HostsScreen { align: center middle; }
    HostsScreen > Vertical { width: 96%; height: 94%; border: round $accent;
        background: $surface; }
    HostsScreen #hostlist { height: auto; max-height: 40%; }
    HostsScreen #hostinfo { height: 1fr; padding: 0 1; }
    """

    shown: Group | None = None
    """What the info pane shows now (for tests and screenshots)."""

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Hosts: Enter shows one host's VMs, a shows all"
            yield DataTable(cursor_type="row", id="hostlist")
            with VerticalScroll(id="hostinfo"):
                yield Static(id="facts")
        yield Footer()

    @property
    def console(self) -> LimenApp:
        from limen_tui.ui.app import LimenApp

        assert isinstance(self.app, LimenApp)
        return self.app

    def on_mount(self) -> None:
        table = self.query_one("#hostlist", DataTable)
        for key, label in (
            ("host", "Host"),
            ("state", "State"),
            ("since", "Since"),
            ("vms", "VMs running/all"),
            ("calls", "Calls/tick"),
            ("health", "Health"),
            ("reason", "Reason"),
        ):
            table.add_column(label, key=key)
        self._fill()
        table.focus()

    def _fill(self) -> None:
        from limen_tui.ui.widgets.host_bar import HostBar
        from limen_tui.ui.widgets.vm_table import VmTable

        table = self.query_one("#hostlist", DataTable)
        statuses = self.console.query_one(HostBar).statuses
        rows = self.console.query_one(VmTable).rows_by_key.values()
        for key, s in statuses.items():
            mine = [r for r in rows if r.host == key]
            running = sum(r.state is PowerState.RUNNING for r in mine)
            table.add_row(
                fmt.literal(key),
                Text(s.state.value, style=LINK_STYLE[s.state]),
                time.strftime("%H:%M:%S", time.localtime(s.since)),
                f"{running}/{len(mine)}",
                "" if s.calls_last_tick is None else str(s.calls_last_tick),
                health_cell(self.console, key),
                fmt.literal(s.reason),
                key=key,
            )

    @on(DataTable.RowHighlighted, "#hostlist")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = str(event.row_key.value)
        self._show(key)

    @on(DataTable.RowSelected, "#hostlist")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.dismiss(str(event.row_key.value))

    @work(exclusive=True, group="host-info", exit_on_error=False)
    async def _show(self, key: str) -> None:
        from limen_tui.ui.widgets.host_bar import HostBar

        facts = self.query_one("#facts", Static)
        status = self.console.query_one(HostBar).statuses.get(key)
        if status is None:
            return
        parts: list[Table | Text] = [facts_table(status)]
        health = self.console.health_latest.get(key)
        board = self.console.health_board
        if health is not None:
            history = board.monitors[key].tracker.history if board and key in board.monitors else []
            parts += [Text("\nHealth", style="bold underline"), gauges(health, history)]
        elif board is not None and key in board.monitors:
            monitor = board.monitors[key]
            parts.append(Text(f"\nHealth: {monitor.state.value} {monitor.reason}".rstrip()))
        facts.update(Group(*parts, Text("\nreading pools and networks…", style="dim")))
        fleet = self.console.fleet
        if fleet is None or key not in fleet.sessions:
            self.shown = Group(*parts)
            facts.update(self.shown)
            return
        try:
            overview = await fleet.sessions[key].overview()
        except Exception as exc:
            parts.append(Text(f"\ncannot read the host: {describe_error(exc)}", style="red"))
        else:
            parts += overview_tables(overview)
        self.shown = Group(*parts)
        facts.update(self.shown)
