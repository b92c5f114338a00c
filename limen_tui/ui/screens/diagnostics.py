"""`i`: what the console costs: libvirt calls per host by kind, and the cache's counters."""

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


def diagnostics(fleet: Fleet | None, cache: Cache | None) -> Group:
    parts: list[Table | Text] = []
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
