"""What a log follower yields, and bytes cut into clean lines.

Followers yield `Batch`es, never single lines, so a flood (a daemon in a debug loop, a
`cat` of a 100 MB log) reaches the consumer in a few large steps it can apply at once, and
whatever happened to the source itself (rotated, truncated, the remote command ended) comes
as a `notice` in words, in order with the lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from limen_tui.logs.clean import clean_line

BATCH_LINES = 1000
"""Most lines in one batch."""

MAX_LINE_BYTES = 64 * 1024
"""A "line" with no newline this long is cut, so a binary file cannot grow one without end."""


@dataclass(frozen=True, slots=True)
class Batch:
    lines: list[str] = field(default_factory=list)
    """Clean lines, oldest first."""
    notice: str = ""
    """What happened to the source, in words (after these lines), or ''."""
    ended: bool = False
    """The source will send nothing more (the command exited, the connection dropped)."""


def batches(lines: list[str], size: int = BATCH_LINES) -> Iterator[Batch]:
    """`lines` in batches of at most `size`."""
    for start in range(0, len(lines), size):
        yield Batch(lines[start : start + size])


class LineSplitter:
    """Cuts a byte stream into clean lines; keeps an unfinished last line until it ends.

    An unfinished line is held rather than shown, so a line written in two pieces is shown
    once, whole; `flush()` lets it go when the source ends or is replaced.
    """

    def __init__(self, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self.max_line_bytes = max_line_bytes
        self._partial = b""

    def feed(self, data: bytes) -> list[str]:
        if not data:
            return []
        parts = (self._partial + data).split(b"\n") if self._partial else data.split(b"\n")
        rest = parts.pop()
        out = [clean_line(part) for part in parts]
        while len(rest) > self.max_line_bytes:
            out.append(clean_line(rest[: self.max_line_bytes]))
            rest = rest[self.max_line_bytes :]
        self._partial = rest
        return out

    def flush(self) -> list[str]:
        rest, self._partial = self._partial, b""
        return [clean_line(rest)] if rest else []

    def drop(self) -> None:
        """Forget an unfinished line (its file was truncated under it)."""
        self._partial = b""
