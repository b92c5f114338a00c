"""Facts shown as `label  value` lines, each fact laid out once and kept while it stays the same.

For a panel of figures that change every tick and with every event (a VM's details): a new set
of facts lays out only the facts that changed (a rich table laid out all of them, measuring
every cell, four times a second under a storm of events), repaints only the lines that differ,
and lays out the screen only when the number of lines changed.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

Fact = tuple[str, Text]
"""A label (bold, one line) and its value (wrapped, or cut when the Text says no_wrap)."""

_Key = tuple[str, str, str, tuple[object, ...], bool, int, int]


def _key(label: str, value: Text, label_width: int, width: int) -> _Key:
    spans = tuple((s.start, s.end, str(s.style)) for s in value.spans)
    no_wrap = bool(value.no_wrap)
    return (label, value.plain, str(value.style), spans, no_wrap, label_width, width)


class FactLines(Widget):
    DEFAULT_CSS = "FactLines { height: auto; }"

    def __init__(self, message: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._facts: Sequence[Fact] = ()
        self._message = message
        self._laid_out: dict[_Key, list[Strip]] = {}
        """Each fact's lines, as last laid out (the facts of the content shown, nothing more)."""
        self._lines: dict[int, list[Strip]] = {}
        """The whole content's lines at the widths Textual asked for (layout may try several)."""

    @property
    def plain(self) -> str:
        """What it shows, as text (one fact a line; a wrapped value's lines joined by spaces)."""
        if not self._facts:
            return self._message
        return "\n".join(f"{label} {value.plain}" for label, value in self._facts)

    def show(self, facts: Sequence[Fact]) -> None:
        self._update(tuple(facts), "")

    def say(self, message: str) -> None:
        """Show a sentence instead of facts (shown literally)."""
        self._update((), message)

    def _update(self, facts: Sequence[Fact], message: str) -> None:
        width = self.content_size.width
        old = self._lines.get(width) if self.is_mounted and width else None
        self._facts, self._message = facts, message
        self._lines.clear()
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

    def _lines_at(self, width: int) -> list[Strip]:
        lines = self._lines.get(width)
        if lines is not None:
            return lines
        style = self.rich_style
        if not self._facts:
            lines = self._draw_text(Text(self._message), width, style)
        else:
            label_width = max(cell_len(label) for label, _ in self._facts)
            kept, lines = self._laid_out, []
            self._laid_out = {}
            for label, value in self._facts:
                key = _key(label, value, label_width, width)
                fact = kept.get(key) or self._fact(label, value, label_width, width, style)
                self._laid_out[key] = fact
                lines.extend(fact)
        self._lines[width] = lines
        return lines

    def _fact(
        self, label: str, value: Text, label_width: int, width: int, style: Style
    ) -> list[Strip]:
        room = max(1, width - label_width - 1)
        if value.no_wrap:
            parts = [value.copy()]
            parts[0].truncate(room, overflow=value.overflow or "crop")
        else:
            parts = list(value.wrap(self.app.console, room, overflow=value.overflow or "fold"))
        head = Text(label, style="bold")
        head.pad_right(label_width + 1 - cell_len(label))
        blank = Text(" " * (label_width + 1))
        text = Text("\n").join(
            (head if i == 0 else blank) + part for i, part in enumerate(parts or [Text()])
        )
        return self._draw_text(text, width, style)

    def _draw_text(self, text: Text, width: int, style: Style) -> list[Strip]:
        console = self.app.console
        rendered = console.render_lines(text, console.options.update_width(width), style=style)
        return [Strip(line, width) for line in rendered]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines_at(width))

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        lines = self._lines_at(width)
        return lines[y] if y < len(lines) else Strip.blank(width, self.rich_style)
