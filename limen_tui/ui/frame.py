"""One clock for what a stream of updates paints, so a storm costs a few frames a second.

Each frame Textual composes costs about the same whatever changed in it, and at 10 events a
second a row, a log line and the selected VM's details each asked for their own: up to twenty
frames a second for one VM pausing and resuming. Here what events and log lines change is drawn
together, at most every `FRAME_S`: the first change after a quiet spell at once (an operator
sees a single event the moment it arrives), the rest of a burst with the next frame. What the
operator does (a key, a move) never waits for it.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.message_pump import MessagePump

FRAME_S = 0.5
"""The shortest time between two frames of event-driven paints."""


class Frame:
    """The draws due with the next frame of one app; each is run once however often asked."""

    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self._due: dict[Callable[[], None], None] = {}  # an ordered set: asked first, drawn first
        self._scheduled = False
        self._drawn_at = 0.0

    @property
    def drawn(self) -> bool:
        """True when nothing waits for the next frame."""
        return not self._due

    def soon(self, draw: Callable[[], None]) -> None:
        """Run `draw` with the next frame (a bound method asked twice runs once)."""
        self._due[draw] = None
        if self._scheduled:
            return
        self._scheduled = True
        wait = self._drawn_at + FRAME_S - time.monotonic()
        if wait <= 0:
            self._app.call_later(self._draw)  # after the message at hand: its siblings join
        else:
            self._app.set_timer(wait, self._draw)

    def _draw(self) -> None:
        self._scheduled = False
        self._drawn_at = time.monotonic()
        due, self._due = self._due, {}
        with self._app.batch_update():
            for draw in due:
                if _alive(draw):
                    draw()


def _alive(draw: Callable[[], None]) -> bool:
    """False for a draw of a widget or screen on its way out (its own timers would have
    ended with it; the frame outlives it)."""
    owner = getattr(draw, "__self__", None)
    if not isinstance(owner, MessagePump):
        return True
    pruning = getattr(owner, "_pruning", False)
    return owner.is_attached and not (owner._closing or owner._closed or pruning)


_FRAMES: weakref.WeakKeyDictionary[App[Any], Frame] = weakref.WeakKeyDictionary()


def frame_of(app: App[Any]) -> Frame:
    """The app's frame (every screen and widget of it shares one)."""
    frame = _FRAMES.get(app)
    if frame is None:
        frame = _FRAMES[app] = Frame(app)
    return frame
