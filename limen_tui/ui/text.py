"""Formatting for the screen: numbers in operator units, and host text shown literally."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from rich.text import Text

from limen_tui.logs.clean import escape_controls
from limen_tui.model import human_bytes

NA = "n/a"


def printable(s: str) -> str:
    """Host text with control characters (escapes, newlines, bells) made visible, never obeyed."""
    return escape_controls(s)


def host_short(key: str) -> str:
    """A host as a narrow column shows it: a host named by its URI (no name in the config) by
    the part that tells it apart: its address (and port), else its file; a name as it is."""
    if "://" not in key:
        return key
    parts = urlsplit(key)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.hostname:
        return f"{parts.hostname}:{port}" if port else parts.hostname
    last = parts.path.rstrip("/").rsplit("/", 1)[-1]
    return last if last and "." in last else key


def literal(s: str, style: str = "", *, limit: int | None = None) -> Text:
    """A Text that shows `s` exactly (no markup), cut to `limit` cells with an ellipsis."""
    text = Text(printable(s), style=style, no_wrap=True, end="")
    if limit is not None and text.cell_len > limit:
        text.truncate(limit, overflow="ellipsis")
    return text


def kib(n: int | None, *, active: bool = True) -> str:
    if n is None:
        return NA if active else ""
    return human_bytes(n * 1024)


def rate(bps: float | None, *, active: bool) -> str:
    """A bytes/s figure; blank for a stopped VM (nothing to measure), n/a when unknown."""
    if not active:
        return ""
    return NA if bps is None else human_bytes(bps)


def pair(a: float | None, b: float | None, *, active: bool) -> str:
    """Two rates as `read/write` in one cell."""
    if not active:
        return ""
    if a is None and b is None:
        return NA
    return f"{rate(a, active=True)}/{rate(b, active=True)}"


def percent(p: float | None, *, active: bool) -> str:
    if not active:
        return ""
    return NA if p is None else f"{p:.1f}"


def clock(ts: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ts))


def ago(ts: float, now: float | None = None) -> str:
    seconds = max(0, int((now if now is not None else time.time()) - ts))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d{seconds % 86400 // 3600}h"
