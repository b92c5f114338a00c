"""Confirmation before anything destructive; delete asks for the VM's name to be typed."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

from limen_tui.ui import text as fmt


class ConfirmScreen(ModalScreen[bool]):
    """Yes/no for one action on one or more VMs. No is the default: it has the focus from the
    first key on (Enter says No); Esc or n says no, only y says yes."""

    AUTO_FOCUS = "#no"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "answer(False)", "No"),
        Binding("y", "answer(True)", "Yes"),
    ]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 64; max-width: 95%; height: auto; border: thick $error;
        background: $surface; padding: 1 2;
    }
    ConfirmScreen Horizontal { height: auto; margin-top: 1; }
    ConfirmScreen Button { margin-right: 2; }
    """

    def __init__(self, question: Text) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question)
            with Horizontal():
                yield Button("Yes (y)", variant="error", id="yes")
                yield Button("No (n, Enter)", variant="primary", id="no")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class DeleteAnswer:
    def __init__(self, remove_storage: bool) -> None:
        self.remove_storage = remove_storage


class TypeNameToDeleteScreen(ModalScreen[DeleteAnswer | None]):
    """Delete asks for the VM's exact name; a wrong name deletes nothing and says so."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#typed"
    DEFAULT_CSS = """
    TypeNameToDeleteScreen { align: center middle; }
    TypeNameToDeleteScreen > Vertical {
        width: 72; max-width: 95%; height: auto; border: thick $error;
        background: $surface; padding: 1 2;
    }
    TypeNameToDeleteScreen #problem { color: $error; height: auto; }
    """

    def __init__(self, vm_name: str) -> None:
        super().__init__()
        self.vm_name = vm_name

    def compose(self) -> ComposeResult:
        question = Text("Delete VM ", end="")
        question.append_text(fmt.literal(self.vm_name, "bold"))
        question.append(
            "? Its definition, snapshots metadata and saved state go. Type its name to confirm."
        )
        with Vertical():
            yield Static(question)
            yield Input(placeholder="VM name", id="typed")
            yield Checkbox("Also delete its storage volumes", id="storage")
            yield Label("", id="problem")

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#typed")
    def _typed(self, event: Input.Submitted) -> None:
        if event.value != self.vm_name:
            self.query_one("#problem", Label).update(
                "That is not the VM's name; nothing was deleted. Esc cancels."
            )
            return
        self.dismiss(DeleteAnswer(self.query_one("#storage", Checkbox).value))
