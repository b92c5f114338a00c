"""The small forms of the pools, volumes and networks screens, and the typed-name question.

A form checks what was typed before anything is sent: a bad size or name is said in words in
the form, which stays open with what was typed (nothing is lost, nothing sent).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

Answers = dict[str, str]
Check = Callable[[Answers], str | None]
"""Why the answers cannot be sent (one sentence), or None."""


@dataclass(frozen=True, slots=True)
class Field:
    id: str
    label: str
    value: str = ""
    placeholder: str = ""


class FieldsForm(ModalScreen[Answers | None]):
    """Labelled fields; Enter goes to the next one, Enter on the last checks and sends."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]
    DEFAULT_CSS = """
    FieldsForm { align: center middle; }
    FieldsForm > Vertical { width: 72; max-width: 95%; height: auto; max-height: 95%;
        border: thick $accent; background: $surface; padding: 0 2; }
    FieldsForm Label.field { margin-top: 1; }
    FieldsForm #problem { color: $error; height: auto; }
    """

    def __init__(self, title: Text, fields: list[Field], check: Check) -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text)
            for f in self.fields:
                yield Label(f.label, classes="field")
                yield Input(f.value, placeholder=f.placeholder, id=f"field-{f.id}")
            yield Label("", id="problem")
            yield Static(Text("Enter: next field, then send · Esc: cancel", style="dim"))

    def answers(self) -> Answers:
        return {f.id: self.query_one(f"#field-{f.id}", Input).value.strip() for f in self.fields}

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        ids = [f"field-{f.id}" for f in self.fields]
        at = ids.index(event.input.id or "")
        if at < len(ids) - 1:
            self.query_one(f"#{ids[at + 1]}", Input).focus()
            return
        answers = self.answers()
        problem = self.check(answers)
        if problem:
            self.query_one("#problem", Label).update(Text(problem))
            return
        self.dismiss(answers)


class TypeNameScreen(ModalScreen[bool]):
    """A destructive change to one named thing: type its name to go on; anything else changes
    nothing and says so."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(False)", "Cancel")]
    AUTO_FOCUS = "#typed"
    DEFAULT_CSS = """
    TypeNameScreen { align: center middle; }
    TypeNameScreen > Vertical { width: 72; max-width: 95%; height: auto;
        border: thick $error; background: $surface; padding: 1 2; }
    TypeNameScreen #problem { color: $error; height: auto; }
    """

    def __init__(self, question: Text, name: str) -> None:
        super().__init__()
        self.question = question
        self.name_to_type = name

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question)
            yield Input(placeholder="type the name", id="typed")
            yield Label("", id="problem")

    @on(Input.Submitted, "#typed")
    def _typed(self, event: Input.Submitted) -> None:
        if event.value != self.name_to_type:
            self.query_one("#problem", Label).update(
                "That is not its name; nothing was changed. Esc cancels."
            )
            return
        self.dismiss(True)
