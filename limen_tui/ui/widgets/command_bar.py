"""The `:` command line at the bottom of the main screen: Tab completes, Up/Down walk the
history, Enter runs, Esc closes. The words live in ui/command_line.py; this only types them."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static

from limen_tui.ui import text as fmt
from limen_tui.ui.command_line import Completion, History
from limen_tui.ui.key_hold import after_typed
from limen_tui.ui.widgets.instant_input import InstantInput

Completer = Callable[[str], Completion]


class CommandInput(InstantInput):
    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority, run behind the letters typed before them (key_hold.after_typed).
        Binding("tab", "complete", "Complete", show=False, priority=True),
        Binding("up", "history(-1)", "Older", show=False, priority=True),
        Binding("down", "history(1)", "Newer", show=False, priority=True),
    ]

    def __init__(self, bar: CommandBar) -> None:
        super().__init__(
            placeholder="command: Tab completes, ↑↓ history, :help",
            id="command",
            on_enter=bar.entered,
            on_escape=lambda _value: bar.close(),
        )
        self.bar = bar

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("complete", "history"):
            return self.screen.focused is self
        return super().check_action(action, parameters)

    def action_complete(self) -> None:
        after_typed(self, self.bar.complete)

    def action_history(self, step: int) -> None:
        after_typed(self, lambda: self.bar.walk_history(step))


class CommandBar(Vertical):
    DEFAULT_CSS = """
    CommandBar { height: auto; display: none; dock: bottom; }
    CommandBar.visible { display: block; }
    CommandBar > #completions { height: auto; max-height: 4; color: $text-muted;
        background: $boost; padding: 0 1; display: none; }
    CommandBar > #completions.visible { display: block; }
    CommandBar > Input { border: tall $accent; }
    """

    def __init__(self, completer: Completer, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.completer = completer
        self.history = History()
        self.input = CommandInput(self)
        self.hints = Static("", id="completions", markup=False)
        self.on_close: Callable[[], None] = lambda: None
        self.on_command: Callable[[str], None] = lambda _line: None

    def compose(self) -> ComposeResult:
        yield self.hints
        yield self.input

    def open(self) -> None:
        """Show the line and give it the keys at once (the caller focuses it synchronously)."""
        self.input.value = ""
        self.show_candidates(())
        self.add_class("visible")

    def entered(self, line: str) -> None:
        self.history.add(line)
        self.close()
        self.on_command(line)

    def close(self) -> None:
        self.remove_class("visible")
        self.show_candidates(())
        self.on_close()

    def complete(self) -> None:
        done = self.completer(self.input.value)
        self.input.value = done.text
        self.input.cursor_position = len(done.text)
        self.show_candidates(done.candidates if len(done.candidates) > 1 else ())

    def show_candidates(self, candidates: tuple[str, ...]) -> None:
        self.hints.set_class(bool(candidates), "visible")
        self.hints.update(Text("  ".join(fmt.printable(c) for c in candidates[:60])))

    def walk_history(self, step: int) -> None:
        line = self.history.older(self.input.value) if step < 0 else self.history.newer()
        self.input.value = line
        self.input.cursor_position = len(line)
