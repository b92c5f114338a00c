"""`:top`: which VM is hurting its host. VMs ranked by their share of the host's CPU, steal,
disk requests/s, bytes/s or latency, network bytes/s, packets/s or drops/s, across all hosts or
one; noisy ones marked.

The ranking is fleet/noisy.py's `rank`, over the rows the hosts already have (no libvirt call):
it costs the fleet's size, so it runs only while this screen is open, once a refresh.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
from limen_tui.model import DomainRow, human_bytes
from limen_tui.ui import text as fmt

METRICS: dict[Metric, str] = {
    "cpu": "share of the host's CPU",
    "steal": "steal (% of its vCPUs' time waiting for a host CPU)",
    "disk_iops": "disk requests/s",
    "disk_bytes": "disk bytes/s",
    "disk_latency": "disk latency (ms per request)",
    "net_bytes": "network bytes/s",
    "net_packets": "network packets/s",
    "net_drops": "network drops/s",
}
WORDS: dict[str, Metric] = {
    "cpu": "cpu",
    "steal": "steal",
    "iops": "disk_iops",
    "disk": "disk_bytes",
    "latency": "disk_latency",
    "net": "net_bytes",
    "packets": "net_packets",
    "drops": "net_drops",
}
"""What `:top WORD` ranks by."""
REFRESH_S = 2.0
LIMIT = 50
WIDE = 110
"""From this many columns of table (a terminal of 114) every figure has its column; below, the
host's CPU, disk and network and the figure ranked by."""


def _count(n: float | None) -> str:
    """A count per second in 5 cells: 12, 3.4k, 56k, 1.2M."""
    if n is None:
        return fmt.NA
    if n < 0.05:
        return "0"
    for unit, scale in (("M", 1e6), ("k", 1e3)):
        if n >= scale * 0.9995:
            v = n / scale
            return f"{v:.1f}{unit}" if v < 9.95 else f"{v:.0f}{unit}"
    return f"{n:.1f}" if 0 < n < 9.95 else f"{n:.0f}"


def _latency(row: DomainRow) -> str:
    if row.disk_latency_ms is None:
        # the disk is known but no request completed: nothing to time, not unknown
        return "-" if row.disk_rd_iops is not None else fmt.NA
    ms = row.disk_latency_ms
    return f"{ms:.2f}" if ms < 10 else f"{ms:.1f}" if ms < 100 else f"{ms:.0f}"


def _both(a: float | None, b: float | None) -> float | None:
    return None if a is None and b is None else (a or 0.0) + (b or 0.0)


def _bytes(bps: float | None) -> str:
    return fmt.NA if bps is None else human_bytes(bps)


_Cell = Callable[[DomainRow], str]
COLUMNS: tuple[tuple[str, Metric | None, bool, _Cell], ...] = (
    # label, the metric it shows, shown below WIDE columns, the cell
    ("Host CPU%", "cpu", True, lambda r: fmt.percent(r.cpu_host_pct, active=True)),
    ("CPU%", None, False, lambda r: fmt.percent(r.cpu_pct, active=True)),
    ("Steal%", "steal", False, lambda r: fmt.percent(r.steal_pct, active=True)),
    (
        "IOPS",
        "disk_iops",
        True,
        lambda r: _count(_both(r.disk_rd_iops, r.disk_wr_iops)),
    ),
    (
        "Disk/s",
        "disk_bytes",
        True,
        lambda r: (
            fmt.NA if r.disk_rd_bps is None else human_bytes(r.disk_rd_bps + (r.disk_wr_bps or 0))
        ),
    ),
    ("Lat ms", "disk_latency", False, _latency),
    (
        "Net/s",
        "net_bytes",
        True,
        lambda r: (
            fmt.NA if r.net_rx_bps is None else human_bytes(r.net_rx_bps + (r.net_tx_bps or 0))
        ),
    ),
    ("Pkt/s", "net_packets", False, lambda r: _count(r.net_pps)),
    ("Drop/s", "net_drops", False, lambda r: _count(r.net_drops_ps)),
)
"""The figures of the table, in order."""


def top_table(
    hosts: Mapping[str, Host],
    metric: Metric,
    host: str | None,
    limit: int = LIMIT,
    *,
    width: int = WIDE,
) -> Group:
    rows = [r for h in hosts.values() for r in h.rows.values()]
    noisy = {k for h in hosts.values() for k in h.noisy.noisy}
    ranked = rank(rows, metric, host=host, limit=limit)
    wide = width >= WIDE
    columns = [c for c in COLUMNS if wide or c[2] or c[1] == metric]
    several = host is None and len(hosts) > 1  # one host's name on every line says nothing
    # What the figures take (each cell at least 5 wide, 1 of padding each side, the rank and
    # the noisy mark): names get the rest, so a long name is cut, never a figure.
    figures = sum(max(len(c[0]), 5) + 2 for c in columns) + 4 + 7
    rest = max(width - figures, 16)
    host_limit = min(14, (rest - 4) // 3) if several else 0
    name_limit = rest - 2 - (host_limit + 2 if several else 0)
    table = Table(box=None, padding=(0, 1), header_style="bold", expand=False)
    table.add_column("#", justify="right", no_wrap=True, min_width=2)
    table.add_column("VM", no_wrap=True)
    if several:
        table.add_column("Host", no_wrap=True)
    for label, shows, _narrow, _cell in columns:
        style = "bold underline" if shows == metric else "bold"
        table.add_column(
            label, justify="right", no_wrap=True, header_style=style, min_width=max(len(label), 5)
        )
    table.add_column("", no_wrap=True, min_width=5)
    for i, (row, _value) in enumerate(ranked, 1):
        loud = row.key in noisy
        table.add_row(
            str(i),
            fmt.literal(row.name, "bold red" if loud else "", limit=name_limit),
            *([fmt.literal(row.host, limit=host_limit)] if several else []),
            *(cell(row) for _label, _shows, _narrow, cell in columns),
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
        # Esc is said in the title line: at 80 columns the footer has room for the figures only
        Binding("escape,q", "app.pop_screen", "Back", show=False),
        Binding("c", "rank('cpu')", "CPU"),
        Binding("s", "rank('steal')", "Steal"),
        Binding("i", "rank('disk_iops')", "IOPS"),
        Binding("b", "rank('disk_bytes')", "Disk"),
        Binding("l", "rank('disk_latency')", "Lat"),
        Binding("n", "rank('net_bytes')", "Net"),
        Binding("p", "rank('net_packets')", "Pkts"),
        Binding("d", "rank('net_drops')", "Drops"),
        Binding("h", "next_host", "Host"),
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
        title.append("  ·  c s i b l n p d rank by, h host, Esc back", style="dim")
        yield Static(title, id="top-title")
        with VerticalScroll(id="top-body"):
            yield Static(id="top-table")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.draw()
        self.set_interval(REFRESH_S, self.draw)

    def draw(self) -> None:
        body = self.query_one("#top-table", Static)
        width = body.content_region.width or self.size.width
        body.update(top_table(self.hosts, self.metric, self.host, width=width))

    def on_resize(self) -> None:
        self.draw()

    def action_rank(self, metric: Metric) -> None:
        self.metric = metric
        self.draw()

    def action_next_host(self) -> None:
        keys: list[str | None] = [None, *self.hosts]
        self.host = keys[(keys.index(self.host) + 1) % len(keys)] if self.host in keys else None
        self.draw()
