"""`:top`: which VM is hurting its host. VMs ranked by their share of the host's CPU, disk
requests/s, disk bytes/s or network bytes/s, across all hosts or one; noisy ones marked.

The ranking is fleet/noisy.py's `rank`, over the rows the hosts already have (no libvirt call):
it costs the fleet's size, so it runs only while this screen is open, once a refresh.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from limen_tui.fleet.host import Host
from limen_tui.fleet.noisy import Metric, rank
from limen_tui.model import human_bytes
from limen_tui.ui import text as fmt

METRICS: dict[Metric, str] = {
    "cpu": "share of the host's CPU",
    "disk_iops": "disk requests/s",
    "disk_bytes": "disk bytes/s",
    "net_bytes": "network bytes/s",
}
WORDS: dict[str, Metric] = {
    "cpu": "cpu",
    "iops": "disk_iops",
    "disk": "disk_bytes",
    "net": "net_bytes",
}
"""What `:top WORD` ranks by."""
REFRESH_S = 2.0
LIMIT = 50


def top_table(
    hosts: Mapping[str, Host], metric: Metric, host: str | None, limit: int = LIMIT
) -> Group:
    rows = [r for h in hosts.values() for r in h.rows.values()]
    noisy = {k for h in hosts.values() for k in h.noisy.noisy}
    ranked = rank(rows, metric, host=host, limit=limit)
    table = Table(box=None, padding=(0, 1), header_style="bold", expand=False)
    for label, right in (
        ("#", True),
        ("VM", False),
        ("Host", False),
        ("Host CPU%", True),
        ("CPU%", True),
        ("IOPS", True),
        ("Disk/s", True),
        ("Net/s", True),
        ("", False),
    ):
        table.add_column(label, justify="right" if right else "left", no_wrap=True)
    for i, (row, _value) in enumerate(ranked, 1):
        iops = (row.disk_rd_iops or 0.0) + (row.disk_wr_iops or 0.0)
        disk = (row.disk_rd_bps or 0.0) + (row.disk_wr_bps or 0.0)
        net = (row.net_rx_bps or 0.0) + (row.net_tx_bps or 0.0)
        loud = row.key in noisy
        table.add_row(
            str(i),
            fmt.literal(row.name, "bold red" if loud else "", limit=28),
            fmt.literal(row.host, limit=14),
            fmt.percent(row.cpu_host_pct, active=True),
            fmt.percent(row.cpu_pct, active=True),
            f"{iops:.0f}" if row.disk_rd_iops is not None else fmt.NA,
            human_bytes(disk) if row.disk_rd_bps is not None else fmt.NA,
            human_bytes(net) if row.net_rx_bps is not None else fmt.NA,
            Text("noisy", style="bold red") if loud else "",
        )
    head = Text(f"ranked by {METRICS[metric]}", style="bold")
    head.append(f" · {'all hosts' if host is None else fmt.printable(host)}")
    parts: list[Table | Text] = [head]
    if any(r.made_up for r, _ in ranked):
        parts.append(Text("demo: made-up figures, not a hypervisor's", style="bold yellow"))
    if not ranked:
        parts.append(Text("no running VM reports this figure", style="dim"))
    else:
        parts.append(table)
    return Group(*parts)


class NoisyScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("c", "rank('cpu')", "Host CPU"),
        Binding("i", "rank('disk_iops')", "IOPS"),
        Binding("b", "rank('disk_bytes')", "Disk bytes"),
        Binding("n", "rank('net_bytes')", "Net"),
        Binding("h", "next_host", "Next host / all"),
    ]
    AUTO_FOCUS = "#top-body"
    DEFAULT_CSS = """
    NoisyScreen #top-title { height: 1; background: $primary-background; padding: 0 1; }
    NoisyScreen #top-body { height: 1fr; border: round $primary; padding: 0 1; }
    NoisyScreen #top-body:focus { border: round $accent; }
    """

    def __init__(
        self, hosts: Mapping[str, Host], metric: Metric = "cpu", host: str | None = None
    ) -> None:
        super().__init__()
        self.hosts = hosts
        self.metric: Metric = metric
        self.host = host

    def compose(self) -> ComposeResult:
        title = Text("Noisy neighbours", style="bold")
        title.append("  ·  c i b n rank by, h host, Esc back", style="dim")
        yield Static(title, id="top-title")
        with VerticalScroll(id="top-body"):
            yield Static(id="top-table")
        yield Footer()

    def on_mount(self) -> None:
        self.draw()
        self.set_interval(REFRESH_S, self.draw)

    def draw(self) -> None:
        self.query_one("#top-table", Static).update(top_table(self.hosts, self.metric, self.host))

    def action_rank(self, metric: Metric) -> None:
        self.metric = metric
        self.draw()

    def action_next_host(self) -> None:
        keys: list[str | None] = [None, *self.hosts]
        self.host = keys[(keys.index(self.host) + 1) % len(keys)] if self.host in keys else None
        self.draw()
