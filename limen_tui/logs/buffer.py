"""A bounded buffer of log lines: what a log pane shows, filters and searches.

Bounded on purpose: a pane left following a busy daemon for a week holds the same number of
lines as after a minute, and the oldest go first. Every line is cleaned on the way in
(`clean_line`), so what the buffer holds is always safe to show. A lock makes it safe to fill
from a logging handler in any thread while the UI reads it.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from limen_tui.logs.clean import clean_line
from limen_tui.logs.levels import Level, detect_level

DEFAULT_MAX_LINES = 10_000


class LogLine(NamedTuple):
    """One kept line. A NamedTuple, not a frozen dataclass: as immutable, and made five
    times faster, which shows when a flood brings 100,000 of them."""

    seq: int
    """Position since the buffer was made; stays the same when older lines are dropped."""
    text: str
    level: Level


@dataclass(frozen=True, slots=True)
class Match:
    """One hit of a search: characters `start:end` of the line numbered `seq`."""

    seq: int
    start: int
    end: int


class LineBuffer:
    """The last `max_lines` lines, with their guessed level."""

    def __init__(self, max_lines: int = DEFAULT_MAX_LINES) -> None:
        if max_lines < 1:
            raise ValueError("a log buffer holds at least one line")
        self.max_lines = max_lines
        self._lines: deque[LogLine] = deque(maxlen=max_lines)
        self._next_seq = 0
        self._lock = threading.Lock()

    def append(self, raw: bytes | str, level: Level | None = None) -> LogLine:
        """Clean and keep one line; its level is guessed unless given."""
        text = clean_line(raw)
        with self._lock:
            line = LogLine(self._next_seq, text, level if level is not None else detect_level(text))
            self._next_seq += 1
            self._lines.append(line)
        return line

    def extend(self, raws: Iterable[bytes | str]) -> list[LogLine]:
        """Clean and keep many lines under one lock; returns the new lines (all of them, even
        those a flood already pushed out again)."""
        texts = [clean_line(raw) for raw in raws]
        levels = [detect_level(text) for text in texts]
        with self._lock:
            first = self._next_seq
            added = [
                LogLine(first + i, text, level)
                for i, (text, level) in enumerate(zip(texts, levels, strict=True))
            ]
            self._next_seq += len(added)
            self._lines.extend(added)
        return added

    def clear(self) -> None:
        with self._lock:
            self._lines.clear()

    def __len__(self) -> int:
        return len(self._lines)

    def __iter__(self) -> Iterator[LogLine]:
        return iter(self.copy())

    def copy(self) -> list[LogLine]:
        with self._lock:
            return list(self._lines)

    @property
    def dropped(self) -> int:
        """Lines that were let go to keep within `max_lines` (or by `clear`)."""
        with self._lock:
            return self._next_seq - len(self._lines)

    def view(self, text: str = "", level: Level = Level.DEBUG) -> list[LogLine]:
        """The lines at `level` or worse whose text holds `text` (any case)."""
        lines = self.copy()
        if level > Level.DEBUG:
            lines = [ln for ln in lines if ln.level >= level]
        if text:
            pattern = re.compile(re.escape(text), re.IGNORECASE)
            lines = [ln for ln in lines if pattern.search(ln.text)]
        return lines

    def search(self, needle: str, level: Level = Level.DEBUG) -> list[Match]:
        """Every place `needle` occurs (any case), in order, among the lines at `level` or worse.

        Positions are in characters of the cleaned text, as shown.
        """
        if not needle:
            return []
        pattern = re.compile(re.escape(needle), re.IGNORECASE)
        return [
            Match(line.seq, hit.start(), hit.end())
            for line in self.view(level=level)
            for hit in pattern.finditer(line.text)
        ]
