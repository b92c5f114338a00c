"""The operator's layout and theme choices, kept between runs in the XDG state dir.

Small JSON, no Textual."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from limen_tui.paths import state_dir


@dataclass(frozen=True, slots=True)
class UiState:
    logs: str = "below"
    """Where the log panes sit in a wide terminal: "below" the table or "beside" it."""
    log_tab: str = "events"
    details: bool = True
    theme: str = ""
    """The last `:theme` chosen ("" none); the app checks that it still exists."""
    columns: dict[str, list[str]] = field(default_factory=dict)
    """The table's columns the operator chose, by width class ("narrow", "wide"); a class
    not here gets the columns that fit."""


def state_path() -> Path:
    return state_dir() / "ui.json"


def load(path: Path | None = None) -> UiState:
    """The saved choices; anything missing or malformed falls back to the defaults."""
    try:
        data = json.loads((path or state_path()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return UiState()
    if not isinstance(data, dict):
        return UiState()
    known = {f.name for f in fields(UiState)}
    state = UiState()
    for key, value in data.items():
        if key in known and isinstance(value, type(getattr(state, key))):
            state = replace(state, **{key: value})
    if state.logs not in ("below", "beside"):
        state = replace(state, logs="below")
    if state.log_tab not in ("events", "operations"):
        state = replace(state, log_tab="events")
    chosen = {
        k: v
        for k, v in state.columns.items()
        if k in WIDTH_CLASSES and isinstance(v, list) and all(isinstance(c, str) for c in v)
    }
    return replace(state, columns=chosen)


def save(state: UiState, path: Path | None = None) -> None:
    """Write atomically; a read-only home just means the choice is not remembered."""
    target = path or state_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(state)), encoding="utf-8")
        os.replace(tmp, target)
    except OSError:
        pass


NARROW_BELOW = 110
"""Columns under which the logs cannot sit beside the table (the table would not fit)."""
WIDTH_CLASSES = ("narrow", "wide")


def width_class(width: int) -> str:
    """Which saved choice of columns a terminal `width` cells wide uses."""
    return "narrow" if width < NARROW_BELOW else "wide"


SHORT_BELOW = 18
"""Rows under which the bottom panes are left out: the table keeps the screen."""


@dataclass(frozen=True, slots=True)
class Grid:
    """The main screen's body as a grid: what the saved choice becomes at this size."""

    columns: tuple[str, ...]
    rows: tuple[str, ...]
    table_span: tuple[int, int]
    """(columns, rows) the table spans."""
    details: bool
    details_rows: int
    logs: bool
    note: str = ""
    """Why the choice could not be followed at this size ("" when it was)."""


def fit(state: UiState, width: int, height: int) -> Grid:
    """Every pane the operator chose, where it fits; the table is never hidden, and a choice
    the terminal is too small for falls back to one that fits (and says why)."""
    if height < SHORT_BELOW:
        note = f"{height} rows: only the table fits (details and logs need {SHORT_BELOW})"
        return Grid(("1fr",), ("1fr",), (1, 1), False, 1, False, note)
    note = ""
    beside = state.logs == "beside"
    if beside and width < NARROW_BELOW:
        note = f"logs beside the table need {NARROW_BELOW} columns; this terminal has {width}"
        beside = False
    if beside:
        if state.details:
            return Grid(("1fr", "60"), ("1fr", "1fr"), (1, 2), True, 1, True, note)
        return Grid(("1fr", "60"), ("1fr",), (1, 1), False, 1, True, note)
    bottom = "8" if width < NARROW_BELOW else "10"
    if not state.details:
        return Grid(("1fr",), ("1fr", bottom), (1, 1), False, 1, True, note)
    if width < NARROW_BELOW:  # details and logs share the bottom row
        return Grid(("1fr", "1fr"), ("1fr", bottom), (2, 1), True, 1, True, note)
    return Grid(("1fr", "44"), ("1fr", bottom), (1, 1), True, 2, True, note)
