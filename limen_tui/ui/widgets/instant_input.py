"""An input whose Enter and Esc keep the order of a burst of keys.

Textual handles an Input's Enter by a message handled later: the keys typed after Enter in one
burst would land in the box that is about to close. Here Enter and Esc are priority bindings
whose callback runs after the keys typed before them (the text is complete) and before the
keys typed after them (they go where the focus moved): key_hold.after_typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Input

from limen_tui.ui.key_hold import after_typed


def _nothing(_value: str) -> None:
    """No callback given."""


class InstantInput(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "enter_now", "Keep", show=False, priority=True),
        Binding("escape", "escape_now", "Close", show=False, priority=True),
    ]

    def __init__(
        self,
        *args: Any,
        on_enter: Callable[[str], None] = _nothing,
        on_escape: Callable[[str], None] = _nothing,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.on_enter = on_enter
        self.on_escape = on_escape

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("enter_now", "escape_now"):
            return self.screen.focused is self  # set at once, unlike has_focus
        return True

    def action_enter_now(self) -> None:
        after_typed(self, lambda: self.on_enter(self.value))

    def action_escape_now(self) -> None:
        after_typed(self, lambda: self.on_escape(self.value))
