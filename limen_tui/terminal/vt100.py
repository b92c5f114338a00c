"""The screen of a serial console: a VT100 emulated in memory (pyte), for the UI to paint.

A console is not a log: the guest moves the cursor, clears the screen and redraws menus
(SeaBIOS starts with `ESC c` and `ESC [2J`), so its bytes go through a terminal emulator
here and the UI only paints the resulting rows, never the raw bytes. The guest's escape
sequences therefore act on this model, not on the operator's terminal; whatever lands on
the screen as a character is still made harmless (a C1 control drawn in Latin-1 mode, a
bidi override) before it is handed out.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyte

from limen_tui.terminal.keys import DETACH_KEY

__all__ = ["DETACH_KEY", "Span", "Terminal"]

COLUMNS = 80
ROWS = 24

# Characters that must not reach the operator's terminal even as one cell: C0, DEL, C1 and
# the bidirectional controls. Each becomes U+FFFD so the row keeps its width.
_HARMLESS = {
    code: "\ufffd"
    for code in (
        *range(0x00, 0x20),
        *range(0x7F, 0xA0),
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    )
}


@dataclass(frozen=True, slots=True)
class Span:
    """A run of cells with one style; colours are pyte's names ('default', 'red') or hex."""

    text: str
    fg: str = "default"
    bg: str = "default"
    bold: bool = False
    italics: bool = False
    underscore: bool = False
    reverse: bool = False

    @property
    def style_key(self) -> tuple[str, str, bool, bool, bool, bool]:
        return (self.fg, self.bg, self.bold, self.italics, self.underscore, self.reverse)


class _Screen(pyte.Screen):
    """Keeps what the guest asked the terminal to answer (cursor position, identity)."""

    def __init__(self, columns: int, lines: int) -> None:
        super().__init__(columns, lines)
        self.replies: list[str] = []

    def write_process_input(self, data: str) -> None:
        self.replies.append(data)


class Terminal:
    """Feed it the console's bytes; read rows, styled spans, the cursor and what changed."""

    def __init__(self, columns: int = COLUMNS, rows: int = ROWS) -> None:
        self._screen = _Screen(columns, rows)
        self._stream = pyte.ByteStream(self._screen)

    @property
    def columns(self) -> int:
        return int(self._screen.columns)

    @property
    def rows(self) -> int:
        return int(self._screen.lines)

    def feed(self, data: bytes) -> None:
        self._stream.feed(data)

    def resize(self, columns: int, rows: int) -> None:
        self._screen.resize(lines=rows, columns=columns)

    def lines(self) -> list[str]:
        """Every row as plain text, padded to the width."""
        return [row.translate(_HARMLESS) for row in self._screen.display]

    def text(self) -> str:
        """The screen as one string, trailing blanks dropped (for tests and copy)."""
        return "\n".join(line.rstrip() for line in self.lines()).rstrip("\n")

    def spans(self, row: int) -> list[Span]:
        """Row `row` as runs of equally styled cells."""
        line = self._screen.buffer[row]
        runs: list[tuple[tuple[str, str, bool, bool, bool, bool], list[str]]] = []
        for x in range(self.columns):
            ch = line[x]
            if ch.data == "":  # the second cell of a wide character
                continue
            key = (ch.fg, ch.bg, ch.bold, ch.italics, ch.underscore, ch.reverse)
            if runs and runs[-1][0] == key:
                runs[-1][1].append(ch.data)
            else:
                runs.append((key, [ch.data]))
        return [Span("".join(chars).translate(_HARMLESS), *key) for key, chars in runs]

    @property
    def cursor(self) -> tuple[int, int]:
        """(column, row) of the cursor, from 0."""
        return int(self._screen.cursor.x), int(self._screen.cursor.y)

    @property
    def cursor_hidden(self) -> bool:
        return bool(self._screen.cursor.hidden)

    @property
    def title(self) -> str:
        return str(self._screen.title).translate(_HARMLESS)

    def take_dirty(self) -> set[int]:
        """The rows changed since the last call, so the UI repaints only those."""
        dirty = set(self._screen.dirty)
        self._screen.dirty.clear()
        return dirty

    def take_replies(self) -> bytes:
        """What the guest asked the terminal to answer (e.g. its cursor position), to send
        back through the console."""
        replies, self._screen.replies = self._screen.replies, []
        return "".join(replies).encode()
