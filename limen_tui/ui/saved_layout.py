"""The operator's layout choices, kept between runs in the XDG state dir. Small JSON, no Textual."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from limen_tui.paths import state_dir


@dataclass(frozen=True, slots=True)
class UiState:
    logs: str = "below"
    """Where the log panes sit in a wide terminal: "below" the table or "beside" it."""
    log_tab: str = "events"
    details: bool = True


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
    return state


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
