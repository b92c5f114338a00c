"""The operator's TOML, read once, with the line of every key, and the one unknown-key check.

`tomllib` gives values but no positions, and a config mistake the operator cannot find
is as bad as none reported; so the text is scanned once for where each key, table and
[[array]] entry starts, and every section reader names its mistakes through `Section`:
"config.toml, line 3: unknown key 'intervall' in [health]; did you mean 'interval'?".
The scan trusts `tomllib` for the syntax (it only runs on text that parsed) and only
has to be right about where keys are; when it cannot place a key it names the key's
table, then the file.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from limen_tui.config.bounds import Bounds, check_number

KeyPath = tuple[str | int, ...]
"""Where a value sits: ("hosts", 1, "ssh", "port") is the port of the second host's ssh."""


class ConfigError(Exception):
    """A config file the console cannot use; the message says where and what."""


_BARE = r"[A-Za-z0-9_-]+"
_QUOTED = r"\"(?:[^\"\\]|\\.)*\"|'[^']*'"
_PART = rf"(?:{_BARE}|{_QUOTED})"
_KEY = rf"{_PART}(?:[ \t]*\.[ \t]*{_PART})*"
_HEADER = re.compile(rf"[ \t]*(\[\[?)[ \t]*({_KEY})[ \t]*\]")
_ASSIGN = re.compile(rf"[ \t]*({_KEY})[ \t]*=")
_SYNTAX_AT = re.compile(r" \(at line (\d+), column (\d+)\)$")


def _parts(key: str) -> tuple[str, ...]:
    return tuple(p[1:-1] if p[0] in "\"'" else p for p in re.findall(_PART, key))


def _string_end(line: str, start: int) -> int:
    """The index after the basic string opening at `start` (backslash escapes skipped)."""
    i = start + 1
    while i < len(line):
        if line[i] == "\\":
            i += 2
            continue
        if line[i] == '"':
            return i + 1
        i += 1
    return len(line)


@dataclass(slots=True)
class _Open:
    """An inline table or array a value opened and has not closed yet."""

    bracket: str
    path: KeyPath
    count: int = 0
    """In an array, the index of the element being read."""


@dataclass(slots=True)
class _Locator:
    """Reads the text line by line, noting the first line of each key path."""

    lines: dict[KeyPath, int] = field(default_factory=dict)
    arrays: dict[KeyPath, int] = field(default_factory=dict)
    """Each [[array]] of tables seen so far -> the index of its last entry."""
    table: KeyPath = ()
    open: list[_Open] = field(default_factory=list)
    quote: str | None = None
    """The delimiter of a multi-line string still open at the end of the last line."""
    number: int = 0

    def feed(self, line: str) -> None:
        self.number += 1
        if self.quote is not None:
            end = line.find(self.quote)
            if end >= 0:
                self.quote = None
                self._value(line, end + 3, None)
        elif self.open:
            self._value(line, 0, None)
        elif header := _HEADER.match(line):
            self._header(header[1] == "[[", _parts(header[2]))
        elif assign := _ASSIGN.match(line):
            key = self.table + _parts(assign[1])
            self._record(key)
            self._value(line, assign.end(), key)

    def _record(self, path: KeyPath) -> None:
        for end in range(1, len(path) + 1):
            self.lines.setdefault(path[:end], self.number)

    def _resolve(self, parts: tuple[str, ...]) -> KeyPath:
        # [hosts.ssh] after [[hosts]] means the ssh table of the latest host.
        path: KeyPath = ()
        for part in parts:
            path += (part,)
            if path in self.arrays:
                path += (self.arrays[path],)
        return path

    def _header(self, array: bool, parts: tuple[str, ...]) -> None:
        if array:
            base = (*self._resolve(parts[:-1]), parts[-1])
            self.arrays[base] = self.arrays.get(base, -1) + 1
            self.table = (*base, self.arrays[base])
        else:
            self.table = self._resolve(parts)
        self._record(self.table)

    def _value(self, line: str, i: int, key: KeyPath | None) -> None:
        """Walk a value from `i`, noting the keys of inline tables, arrays' entries included."""
        while i < len(line):
            char = line[i]
            if line.startswith(('"""', "'''"), i):
                end = line.find(line[i : i + 3], i + 3)
                if end < 0:
                    self.quote = line[i : i + 3]
                    return
                i = end + 3
                continue
            if char == '"':
                i = _string_end(line, i)
                continue
            if char == "'":
                end = line.find("'", i + 1)
                i = len(line) if end < 0 else end + 1
                continue
            if char == "#":
                return
            top = self.open[-1] if self.open else None
            if char in "[{":
                path = (*top.path, top.count) if top and top.bracket == "[" else key or ()
                self.open.append(_Open(char, path))
                self._record(path)
                top = self.open[-1]
            elif char in "]}":
                if self.open:
                    self.open.pop()
            elif char == "," and top and top.bracket == "[":
                top.count += 1
            if char in "{," and top and top.bracket == "{":
                assign = _ASSIGN.match(line, i + 1)
                if assign:
                    key = top.path + _parts(assign[1])
                    self._record(key)
                    i = assign.end()
                    continue
            i += 1


def _syntax_error(file: Path, text: str, message: str) -> ConfigError:
    at = _SYNTAX_AT.search(message)
    if at:
        what = message[: at.start()]
        return ConfigError(f"{file}, line {at[1]}: not valid TOML: {what} (column {at[2]})")
    if message.endswith(" (at end of document)"):
        last = text.count("\n") + (0 if text.endswith("\n") else 1)
        what = message.removesuffix(" (at end of document)")
        return ConfigError(f"{file}, line {last}: not valid TOML: {what} (at the end of the file)")
    return ConfigError(f"{file}: not valid TOML: {message}")


@dataclass(frozen=True, slots=True)
class TomlSource:
    """A parsed config file that can say on which line any of its keys is."""

    file: Path
    data: dict[str, Any]
    lines: Mapping[KeyPath, int]

    @classmethod
    def parse(cls, text: str, file: Path) -> TomlSource:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise _syntax_error(file, text, str(exc)) from exc
        locator = _Locator()
        for line in text.splitlines():
            locator.feed(line)
        return cls(file, data, locator.lines)

    @property
    def root(self) -> Section:
        return Section(self, (), "", self.data)

    def line_of(self, path: KeyPath) -> int | None:
        """The line of `path`, else of the nearest table around it that is written down."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None

    def where(self, path: KeyPath) -> str:
        line = self.line_of(path)
        return f"{self.file}, line {line}" if line else str(self.file)


@dataclass(frozen=True, slots=True)
class Section:
    """One table of the file: its values and how to name a mistake in it."""

    source: TomlSource
    path: KeyPath
    label: str
    """As the operator reads it in a message: "[health]", "[[hosts]]", "a host's ssh"."""
    values: Mapping[str, Any]

    def where(self, key: str | None = None) -> str:
        return self.source.where(self.path if key is None else (*self.path, key))

    def line_of(self, key: str | None = None) -> int | None:
        return self.source.line_of(self.path if key is None else (*self.path, key))

    def error(self, key: str | None, sentence: str) -> ConfigError:
        return ConfigError(f"{self.where(key)}: {sentence}")

    def check_keys(self, allowed: Collection[str], *, noun: str = "key") -> None:
        """Refuse the first key not in `allowed`, suggesting the nearest allowed one."""
        for key in self.values:
            if key in allowed:
                continue
            near = difflib.get_close_matches(key, list(allowed), n=1)
            place = f" in {self.label}" if self.label else ""
            hint = (
                f"; did you mean {near[0]!r}?"
                if near
                else f" (known: {', '.join(sorted(allowed))})"
            )
            raise self.error(key, f"unknown {noun} {key!r}{place}{hint}")

    def section(self, key: str, *, label: str | None = None, shape: str | None = None) -> Section:
        """The table under `key` (empty when absent); `shape` says what it must be."""
        path = (*self.path, key)
        label = label or "[" + ".".join(str(p) for p in path) + "]"
        value = self.values.get(key, {})
        if not isinstance(value, dict):
            raise self.error(key, f"{key} must be {shape or f'a {label} table'}")
        return Section(self.source, path, label, value)

    def choice(
        self, key: str, allowed: Collection[str] | None, *, noun: str = "value"
    ) -> str | None:
        """The name under `key`, one of `allowed` (None: any name), with "did you mean" for a
        near miss; None when absent."""
        if key not in self.values:
            return None
        value = self.values[key]
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"{key} must be a name in quotes, not {value!r}")
        if allowed is not None and value not in allowed:
            near = difflib.get_close_matches(value, list(allowed), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f" (known: {', '.join(allowed)})"
            raise self.error(key, f"unknown {noun} {value!r}{hint}")
        return value

    def number(self, key: str, bounds: Bounds) -> float | None:
        """The number under `key`, checked against `bounds`; None when absent."""
        if key not in self.values:
            return None
        self._check(key, bounds)
        return float(self.values[key])

    def count(self, key: str, bounds: Bounds) -> int | None:
        """The whole number under `key`, checked against `bounds`; None when absent."""
        if key not in self.values:
            return None
        self._check(key, bounds)
        return int(self.values[key])

    def flag(self, key: str) -> bool | None:
        value = self.values.get(key)
        if value is not None and not isinstance(value, bool):
            raise self.error(key, f"{key} must be true or false, not {value!r}")
        return value

    def _check(self, key: str, bounds: Bounds) -> None:
        reason = check_number(self.values[key], bounds)
        if reason is not None:
            raise self.error(key, f"{key} {reason}")
