"""Where limen-tui keeps its files, following the XDG base directory spec. No I/O on import.

Nothing here creates a directory: the store that writes a file creates its own
directory, so a read-only home only disables what actually needs to write.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "limen-tui"


def _xdg_base(variable: str, fallback: str) -> Path:
    # The spec says a relative value is invalid and must be ignored, not resolved
    # against whatever directory the console happened to start in.
    value = os.environ.get(variable, "")
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / fallback


def cache_dir() -> Path:
    """Disposable data: the cache and metric history ($XDG_CACHE_HOME/limen-tui)."""
    return _xdg_base("XDG_CACHE_HOME", ".cache") / APP_NAME


def state_dir() -> Path:
    """Data worth keeping but not configuration: the audit log ($XDG_STATE_HOME/limen-tui)."""
    return _xdg_base("XDG_STATE_HOME", ".local/state") / APP_NAME


def config_dir() -> Path:
    """Settings written by the operator ($XDG_CONFIG_HOME/limen-tui)."""
    return _xdg_base("XDG_CONFIG_HOME", ".config") / APP_NAME
