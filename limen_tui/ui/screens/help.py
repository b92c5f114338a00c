"""`?`: the keys of the console, read from the bindings so the list never goes stale."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

FILTER_HELP = (
    "Filter (/): words match a VM's name or its state; state:paused, host:NAME narrow it. "
    "Enter keeps the filter, Esc clears it."
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90; max-width: 98%; height: auto; max-height: 95%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    HelpScreen .group { margin-top: 1; }
    """

    def __init__(self, groups: list[tuple[str, list[tuple[str, str]]]]) -> None:
        super().__init__()
        self.groups = groups

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "limen-tui keys · Esc closes · ↑↓ scroll"
            for title, keys in self.groups:
                table = Table.grid(padding=(0, 2))
                table.add_column(style="bold cyan", no_wrap=True, min_width=10)
                table.add_column()
                for key, description in keys:
                    table.add_row(Text(key), Text(description))
                yield Static(Text(title, style="bold underline"), classes="group")
                yield Static(table)
            yield Static("\n" + FILTER_HELP, markup=False)
