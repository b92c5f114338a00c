"""How serious a log line is, guessed from its words (libvirt, QEMU and journal lines).

The sources give no structured level: libvirt's own log files write `: error : `, QEMU writes
`qemu-system-x86_64: <what failed>` with no level at all, and `journalctl -o short-iso` drops
the priority. So this is a heuristic, good enough to colour a line and to filter a pane,
never a fact to act on.
"""

from __future__ import annotations

import enum
import re


class Level(enum.IntEnum):
    """Ordered so a filter can say "this level and worse"."""

    DEBUG = 10
    INFO = 20
    WARNING = 30
    ERROR = 40

    @property
    def word(self) -> str:
        return self.name.lower()

    @classmethod
    def from_python(cls, levelno: int) -> Level:
        """A `logging` level number as one of these (CRITICAL counts as ERROR)."""
        if levelno >= 40:
            return cls.ERROR
        if levelno >= 30:
            return cls.WARNING
        if levelno >= 20:
            return cls.INFO
        return cls.DEBUG


# libvirt's log format: "2024-05-01 10:00:00.123+0000: 1234: error : virFoo:12 : message"
_LIBVIRT = re.compile(r": (error|warning|info|debug) : ")
# Matched on the lowered line: IGNORECASE makes these searches about 2.5 times slower. Each
# pattern runs only if one of its hints is in the line (a plain substring test, far cheaper
# than a regex at every word boundary), so an ordinary line costs a few `in` tests.
_ERROR = re.compile(
    r"\b(?:errors?|err|fatal|failed|failure|panic|crit(?:ical)?|emerg(?:ency)?|alert"
    r"|segfault|denied|abort(?:ed)?|assertion)\b"
)
_ERROR_HINTS = (
    *("err", "fatal", "fail", "panic", "crit", "emerg"),
    *("alert", "segfault", "denied", "abort", "assert"),
)
_WARNING = re.compile(r"\bwarn(?:ing|ings)?\b|\bdeprecated\b")
_WARNING_HINTS = ("warn", "deprecated")
_DEBUG = re.compile(r"\b(?:debug|trace)\b")
_DEBUG_HINTS = ("debug", "trace")
# QEMU reports what went wrong as "qemu-system-x86_64: -drive ...: Could not open ...", with
# no level word; the same prefix also starts the harmless "terminating on signal" line.
_QEMU = re.compile(r"qemu-(?:system-\w+|kvm): (?!terminating on signal)")

_BY_WORD = {level.word: level for level in Level}


def _says(low: str, hints: tuple[str, ...], pattern: re.Pattern[str]) -> bool:
    return any(hint in low for hint in hints) and pattern.search(low) is not None


def detect_level(line: str) -> Level:
    """A best guess at the level of one clean log line; INFO when nothing says otherwise."""
    found = _LIBVIRT.search(line)
    if found is not None:
        return _BY_WORD[found.group(1)]
    low = line.lower()
    if _says(low, _ERROR_HINTS, _ERROR):
        return Level.ERROR
    if _says(low, _WARNING_HINTS, _WARNING):
        return Level.WARNING
    if _says(low, _DEBUG_HINTS, _DEBUG):
        return Level.DEBUG
    if "qemu-" in line and _QEMU.search(line):
        return Level.ERROR
    return Level.INFO
