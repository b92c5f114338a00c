"""`:columns`: the operator shows, hides and orders the VM table's columns, with keys.

The shown columns come first, in their order; the hidden ones follow. The name is always
shown (the table keys its rows by it for the eye). Enter keeps the choice for this width
class of terminal; `r` goes back to the columns that fit; Esc changes nothing.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from limen_tui.ui.columns import ALL_COLUMNS

Choice = list[str] | None
"""The columns' keys in order ([]: back to the columns that fit); None: nothing changed."""


class ColumnPicker(ModalScreen[Choice]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("space", "show_hide", "Show/hide"),
        Binding("K,shift+up", "shift(-1)", "Move up"),
        Binding("J,shift+down", "shift(1)", "Move down"),
        Binding("enter", "keep", "Keep"),
        Binding("r", "fit", "What fits"),
        Binding("escape", "cancel", "Cancel"),
    ]
    DEFAULT_CSS = """
    ColumnPicker { align: center middle; }
    ColumnPicker > Vertical {
        width: 52; max-width: 95%; height: auto; max-height: 95%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    ColumnPicker #columns { height: auto; }
    ColumnPicker #picker-help { color: $text-muted; height: auto; }
    """

    def __init__(self, shown: list[str], width_class: str) -> None:
        super().__init__()
        keys = [k for k in shown if k in ALL_COLUMNS]
        if "name" not in keys:
            keys.insert(0, "name")
        self.order = keys + [k for k in ALL_COLUMNS if k not in keys]
        self.shown = set(keys)
        self.cursor = 0
        self.width_class = width_class

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"Columns ({self.width_class} terminals)"
            yield Static(self._text(), id="columns")
            yield Label("", id="problem")
            yield Static(
                "space show/hide · K/J move · enter keep · r what fits · esc cancel",
                id="picker-help",
            )

    def _text(self) -> Text:
        out = Text(no_wrap=True, overflow="ellipsis")
        for i, key in enumerate(self.order):
            col = ALL_COLUMNS[key]
            mark = "[x]" if key in self.shown else "[ ]"
            style = "reverse" if i == self.cursor else ("" if key in self.shown else "dim")
            line = Text(f"{mark} {col.label:<10} {key}", style=style)
            out.append_text(line)
            if i < len(self.order) - 1:
                out.append("\n")
        return out

    def _redraw(self, problem: str = "") -> None:
        self.query_one("#columns", Static).update(self._text())
        self.query_one("#problem", Label).update(problem)

    def chosen(self) -> list[str]:
        """The shown columns' keys, in order."""
        return [k for k in self.order if k in self.shown]

    def action_move(self, by: int) -> None:
        self.cursor = max(0, min(len(self.order) - 1, self.cursor + by))
        self._redraw()

    def action_show_hide(self) -> None:
        key = self.order[self.cursor]
        if key == "name":
            self._redraw("the name is always shown")
            return
        self.shown.symmetric_difference_update({key})
        self._redraw()

    def action_shift(self, by: int) -> None:
        i, j = self.cursor, self.cursor + by
        if not 0 <= j < len(self.order):
            return
        if "name" in (self.order[i], self.order[j]):
            self._redraw("the name stays first")
            return
        self.order[i], self.order[j] = self.order[j], self.order[i]
        self.cursor = j
        self._redraw()

    def action_keep(self) -> None:
        self.dismiss(self.chosen())

    def action_fit(self) -> None:
        self.dismiss([])

    def action_cancel(self) -> None:
        self.dismiss(None)
