"""`i`: what the console costs: its own CPU, memory and output against its budget, each
host's tick, libvirt calls per host by kind, and the cache's counters."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from limen_tui.fleet.fleet import Fleet
from limen_tui.model import human_bytes
from limen_tui.store.cache import Cache
from limen_tui.ui import text as fmt
from limen_tui.ui.worker_failures import WorkerFailuresToApp


def self_cost(fleet: Fleet) -> list[Table | Text]:
    """The console's own cost against its budget, and what each host's tick costs there."""
    watch, pace = fleet.self_cost, fleet.pace
    cost = watch.budget.cost
    table = Table(
        title="the console's own cost", title_justify="left", expand=True, show_header=False
    )
    table.add_column("")
    table.add_column("", justify="right")
    window = f" (over {cost.window_s:.0f} s)" if cost is not None else ""
    rows = [
        (
            f"CPU{window}",
            "measuring" if cost is None else f"{cost.cpu_pct:.2f}% of a core",
        ),
        ("budget", f"{watch.budget.budget_pct:g}% of a core"),
        ("memory (RSS)", "measuring" if cost is None else f"{human_bytes(cost.rss_bytes)}B"),
        (
            "output to the terminal",
            "measuring" if cost is None else f"{human_bytes(cost.output_bps)}B/s",
        ),
        ("refresh interval", f"{pace.interval:g} s (configured {pace.configured:g} s)"),
    ]
    for label, value in rows:
        table.add_row(label, Text(value))
    parts: list[Table | Text] = [table]
    change = pace.last_change
    if change is not None:
        parts.append(Text(str(change), style="yellow" if change.stretched else ""))
    ticks = Table(title="what a tick costs each host", title_justify="left", expand=True)
    ticks.add_column("host")
    ticks.add_column("libvirt calls per tick", justify="right")
    ticks.add_column("ms per tick", justify="right")
    ticks.add_column("VMs", justify="right")
    for key, host in fleet.hosts.items():
        status = host.status
        ticks.add_row(
            fmt.literal(key),
            "" if status.calls_last_tick is None else str(status.calls_last_tick),
            "" if status.refresh_ms is None else f"{status.refresh_ms:.0f}",
            str(status.domains),
        )
    parts.append(ticks)
    return parts


def diagnostics(fleet: Fleet | None, cache: Cache | None) -> Group:
    parts: list[Table | Text] = [] if fleet is None else self_cost(fleet)
    calls = Table(title="libvirt calls since start", title_justify="left", expand=True)
    calls.add_column("host")
    calls.add_column("call")
    calls.add_column("count", justify="right")
    calls.add_column("last tick", justify="right")
    if fleet is not None:
        for key, host in fleet.hosts.items():
            tally = host.calls.tally()
            last = host.status.calls_last_tick
            first = True
            for kind, n in sorted(tally.items(), key=lambda kv: -kv[1]):
                calls.add_row(
                    fmt.literal(key) if first else "",
                    kind,
                    str(n),
                    str(last) if first and last is not None else "",
                )
                first = False
    parts.append(calls)
    if cache is None:
        parts.append(Text("\nNo cache in this session."))
    else:
        s = cache.stats()
        table = Table(title="cache (this console)", title_justify="left", expand=True)
        table.add_column("")
        table.add_column("", justify="right")
        for label, value in (
            ("state", "on" if s.enabled else f"off: {s.reason}"),
            ("entries", str(s.entries)),
            ("size", f"{human_bytes(s.bytes)}B of {human_bytes(s.max_bytes)}B"),
            ("hits", str(s.hits)),
            ("misses", str(s.misses)),
            ("hit ratio", f"{s.hit_ratio:.1%}"),
            ("expired (removed on read or write)", str(s.expired)),
            ("evicted (least recently used)", str(s.evicted)),
            ("invalidated by events and actions", str(s.invalidated)),
            ("writes", str(s.writes)),
        ):
            table.add_row(label, Text(value))
        parts.append(table)
        for warning in cache.warnings:
            parts.append(Text(f"warning: {warning}", style="yellow"))
    return Group(*parts)


class DiagnosticsScreen(WorkerFailuresToApp, ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,i", "dismiss(None)", "Close")]
    DEFAULT_CSS = """
    DiagnosticsScreen { align: center middle; }
    DiagnosticsScreen > VerticalScroll { width: 90%; height: 90%; border: round $accent;
        background: $surface; padding: 0 1; }
    """

    def __init__(self, fleet: Fleet | None, cache: Cache | None) -> None:
        super().__init__()
        self.fleet = fleet
        self.cache = cache

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = "Diagnostics (refreshes every 2 s)"
            yield Static(id="body")

    def on_mount(self) -> None:
        self.refresh_body()
        self.set_interval(2.0, self.refresh_body)

    @work(thread=True, exclusive=True, group="diagnostics", exit_on_error=False)
    def refresh_body(self) -> None:
        """Built in a thread: the cache's counters are an SQLite read."""
        body = diagnostics(self.fleet, self.cache)
        self.app.call_from_thread(lambda: self.query_one("#body", Static).update(body))
