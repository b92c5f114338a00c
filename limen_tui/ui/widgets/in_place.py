"""New content for a Static without a layout pass when its size stays the same.

`Static.update` lays out the whole screen by default, and every layout pass repaints every
scrollbar on screen: hundreds of bytes to the terminal for a status line that changed one
number. Here the layout is asked for only when the content's height changed.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual.geometry import Region, Size
from textual.reactive import Reactive
from textual.strip import Strip
from textual.widget import Widget
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


class LinesInPlace(Widget):
    """A renderable shown as lines: new content repaints only the lines that differ, and lays
    out the screen only when the number of lines changed. For a panel of figures that change
    every tick (a VM's details), where `Static.update` would repaint every line of it."""

    DEFAULT_CSS = "LinesInPlace { height: auto; }"

    def __init__(self, content: RenderableType = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._content: RenderableType = Text(content) if isinstance(content, str) else content
        self._by_width: dict[int, list[Strip]] = {}
        """The content's lines at the widths Textual asked for (layout may try several)."""

    @property
    def content(self) -> RenderableType:
        return self._content

    def _lines_at(self, width: int) -> list[Strip]:
        lines = self._by_width.get(width)
        if lines is None:
            console = self.app.console
            rendered = console.render_lines(
                self._content, console.options.update_width(width), style=self.rich_style
            )
            lines = self._by_width[width] = [Strip(line, width) for line in rendered]
        return lines

    def update(self, content: RenderableType) -> None:
        """Show `content` (a str is shown literally, never as markup)."""
        width = self.content_size.width
        old = self._by_width.get(width) if self.is_mounted and width else None
        self._content = Text(content) if isinstance(content, str) else content
        self._by_width.clear()
        if old is None:
            self.refresh(layout=True)
            return
        new = self._lines_at(width)
        if len(new) != len(old):
            self.refresh(layout=True)
            return
        for y, (was, now) in enumerate(zip(old, new, strict=True)):
            if was != now:
                self.refresh(Region(0, y, width, 1))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines_at(width))

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        lines = self._lines_at(width)
        return lines[y] if y < len(lines) else Strip.blank(width, self.rich_style)
