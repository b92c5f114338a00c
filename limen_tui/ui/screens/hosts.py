"""`H`: every host with its state, and what libvirt knows about the highlighted one.

Enter shows only that host's VMs in the table; `a` shows all hosts again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from limen_tui.fleet.errors import explain
from limen_tui.fleet.host import Host
from limen_tui.fleet.reads import HostOverview
from limen_tui.model import HostStatus, PowerState, human_bytes
from limen_tui.ui import text as fmt
from limen_tui.ui.health_view import gauges, summary
from limen_tui.ui.widgets.host_bar import LINK_STYLE
from limen_tui.ui.worker_failures import WorkerFailuresToApp


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


def health_cell(host: Host) -> Text:
    update = host.health.latest if host.health is not None else None
    if update is not None:
        return summary(update)
    if host.health is not None:
        return Text(host.health.state.value, style="dim")
    return Text("-", style="dim")


class HostsScreen(WorkerFailuresToApp, ModalScreen[str | None]):
    """Returns the host to show alone, "" for all hosts, or None to leave the filter alone."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,H", "dismiss(None)", "Close"),
        Binding("a", "dismiss('')", "All hosts"),
        Binding("E", "evacuate", "Evacuate"),
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

    def __init__(
        self, hosts: Mapping[str, Host], evacuate: Callable[[str], None] | None = None
    ) -> None:
        """`evacuate(host)`: what E does on the highlighted host (after this screen closes)."""
        super().__init__()
        self.hosts = hosts
        self.evacuate = evacuate

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Hosts: Enter shows one host's VMs, a shows all"
            yield DataTable(cursor_type="row", id="hostlist")
            with VerticalScroll(id="hostinfo"):
                yield Static(id="facts")
        yield Footer()

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
        table = self.query_one("#hostlist", DataTable)
        for key, host in self.hosts.items():
            s, mine = host.status, host.rows.values()
            running = sum(r.state is PowerState.RUNNING for r in mine)
            table.add_row(
                fmt.literal(key),
                Text(s.state.value, style=LINK_STYLE[s.state]),
                time.strftime("%H:%M:%S", time.localtime(s.since)),
                f"{running}/{len(mine)}",
                "" if s.calls_last_tick is None else str(s.calls_last_tick),
                health_cell(host),
                fmt.literal(s.reason),
                key=key,
            )

    @on(DataTable.RowHighlighted, "#hostlist")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = str(event.row_key.value)
        self._show(key)

    def action_evacuate(self) -> None:
        table = self.query_one("#hostlist", DataTable)
        if self.evacuate is None or not table.row_count:
            self.notify("Evacuation is not offered here", severity="warning")
            return
        key = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        evacuate = self.evacuate
        self.dismiss(None)
        evacuate(key)

    @on(DataTable.RowSelected, "#hostlist")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.dismiss(str(event.row_key.value))

    @work(exclusive=True, group="host-info", exit_on_error=False)
    async def _show(self, key: str) -> None:
        facts = self.query_one("#facts", Static)
        host = self.hosts.get(key)
        if host is None:
            return
        parts: list[Table | Text] = [facts_table(host.status)]
        monitor = host.health
        health = monitor.latest if monitor is not None else None
        if monitor is not None and health is not None:
            parts += [Text("\nHealth", style="bold underline")]
            parts.append(gauges(health, monitor.tracker.history))
        elif monitor is not None:
            parts.append(Text(f"\nHealth: {monitor.state.value} {monitor.reason}".rstrip()))
        facts.update(Group(*parts, Text("\nreading pools and networks…", style="dim")))
        try:
            overview = await host.overview()
        except Exception as exc:
            parts.append(Text(f"\ncannot read the host: {explain(exc)}", style="red"))
        else:
            parts += overview_tables(overview)
        self.shown = Group(*parts)
        facts.update(self.shown)
