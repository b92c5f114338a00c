"""Enter on a VM: every action in a list, with its key, for operators who do not remember keys."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class ActionMenu(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Close")]
    DEFAULT_CSS = """
    ActionMenu { align: center middle; }
    ActionMenu > OptionList { width: 44; height: auto; max-height: 90%; border: round $accent; }
    """

    def __init__(self, title: Text, entries: list[tuple[str, str, str]]) -> None:
        """entries: (action, label, key shown)."""
        super().__init__()
        self.title_text = title
        self.entries = entries

    def compose(self) -> ComposeResult:
        options = []
        for action, label, key in self.entries:
            line = Text(f"{label:<22}", end="")
            line.append(key, style="bold cyan")
            options.append(Option(line, id=action))
        menu = OptionList(*options)
        menu.border_title = self.title_text
        yield menu

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
