"""Ask for one value (a name, a count, a size), checked before anything is sent to libvirt."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

Check = Callable[[str], str | None]
"""Returns a sentence saying what is wrong, or None when the value is good."""


class AskScreen(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#value"
    DEFAULT_CSS = """
    AskScreen { align: center middle; }
    AskScreen > Vertical {
        width: 64; max-width: 95%; height: auto; border: thick $accent;
        background: $surface; padding: 1 2;
    }
    AskScreen #problem { color: $error; height: auto; }
    """

    def __init__(self, question: Text, value: str, check: Check) -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question)
            yield Input(self.value, id="value")
            yield Label("", id="problem")

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#value")
    def _submitted(self, event: Input.Submitted) -> None:
        problem = self.check(event.value.strip())
        if problem:
            self.query_one("#problem", Label).update(problem)
            return
        self.dismiss(event.value.strip())


def check_count(low: int, high: int | None, what: str) -> Check:
    def check(value: str) -> str | None:
        try:
            n = int(value)
        except ValueError:
            return f"{what} must be a whole number"
        if n < low:
            return f"{what} must be at least {low}"
        if high is not None and n > high:
            return f"{what} cannot be more than {high} (what the host has)"
        return None

    return check


def check_vm_name(value: str) -> str | None:
    if not value:
        return "the name cannot be empty"
    if "/" in value:
        return "the name cannot contain '/'"
    if not value.isprintable():
        return "the name cannot contain control characters"
    if len(value) > 200:
        return "the name is too long (200 characters at most)"
    return None
