"""New content for a Static without a layout pass when its size stays the same.

`Static.update` lays out the whole screen by default, and every layout pass repaints every
scrollbar on screen: hundreds of bytes to the terminal for a status line that changed one
number. Here the layout is asked for only when the content's height changed.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Static


def update_in_place(widget: Static, content: RenderableType) -> None:
    """Show `content` (a str is shown literally, never as markup) in `widget`."""
    if isinstance(content, str):
        content = Text(content)
    width = widget.content_size.width
    if not widget.is_mounted or not width:
        widget.update(content)
        return
    console = widget.app.console
    lines = console.render_lines(content, console.options.update(width=width), pad=False)
    widget.update(content, layout=len(lines) != widget.content_size.height)


class ScrollInPlace:
    """For a scrolling widget whose own size is set by its container (never by its content):
    a new virtual size (a line more in a log, a row more in a table) updates its scrollbars and
    repaints it, without the layout pass of the whole screen Textual does by default."""

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def watch_virtual_size(self, size: Size) -> None:
        self._scroll_update(size)  # type: ignore[attr-defined]
