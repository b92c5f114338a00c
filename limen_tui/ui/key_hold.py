"""Keys typed ahead of a screen wait for it: none is lost to, or acted on by, the wrong widget.

A terminal hands the app a fast burst of keys at once. When one of them opens a dialog (rename,
delete, the create form), the keys after it arrive before the dialog has mounted and focused its
input: Textual would give them to the new screen with nothing focused (lost), or, before the
screen existed, to the table (acted on). So while the top screen has not mounted, or has not yet
focused what it means to focus, every key waits here, in order, and goes on once it has (or after
HOLD_AT_MOST seconds, whatever happened).

Inside one screen, the main screen's bindings are priority bindings that focus their input at
once (keys.py), and Textual runs a priority binding the moment it reads the key: so every key
goes on only once the key before it is done (an action key after moves acts on the row moved
to). A key is done when a priority binding ran it, or when it has gone up from the focused
widget through each parent to the app (where the widgets' own bindings, the table's moves,
run), one queue after another, or a widget on the way stopped it.

One more order to keep: a printable key waits in the focused input's own queue, while a
priority binding (Enter in an input) runs the moment the app reads it. `after_typed` runs such
a binding's work behind the keys already given to the input, and holds the keys after it until
that work (which moves the focus) is done.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from textual import events
from textual.app import App
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input

HOLD_AT_MOST = 1.0
RETRY_SECONDS = 0.01
ReturnType = TypeVar("ReturnType")


def ready_for_keys(screen: Screen[Any]) -> bool:
    """The screen is up and its focus is where it will take typed keys."""
    if not screen.is_mounted:
        return False
    return screen.focused is not None or not screen.focus_chain


class HoldKeysUntilFocused(App[ReturnType]):
    def __init__(self) -> None:
        super().__init__()
        self._held: list[events.Key] = []
        self._held_since = 0.0
        self._holding = 0
        """Works in flight that must see the keys before them and none after (after_typed)."""
        self._behind: events.Key | None = None
        """The key being delivered: waiting behind the keys given before it, or on its way up
        from the focused widget to the app. Later keys wait for it."""
        self._behind_sent = False
        """`_behind` was handed on already (only its way up is left)."""

    @property
    def keys_in_flight(self) -> bool:
        """Typed keys not yet all handled: held back, or one still on its way."""
        return bool(self._held) or self._behind is not None

    def hold_keys(self) -> None:
        self._holding += 1

    def release_keys(self) -> None:
        self._holding = max(0, self._holding - 1)
        if self._held:
            self.set_timer(RETRY_SECONDS, self._release_held)

    def _keys_ready(self) -> bool:
        if self._holding or self._behind is not None or not self.screen_stack:
            return False
        return ready_for_keys(self.screen)

    async def on_event(self, event: events.Event) -> None:
        arrived = isinstance(event, events.Key) and not event.is_forwarded
        if arrived and (self._held or not self._keys_ready()):
            assert isinstance(event, events.Key)
            if not self._held:
                self._held_since = time.monotonic()
                self.set_timer(RETRY_SECONDS, self._release_held)
            self._held.append(event)
            return
        await self._deliver(event)

    async def _deliver(self, event: events.Event) -> None:
        """As Textual delivers it, but an editing key of a focused text box (Backspace,
        Delete, arrows, Home/End, Ctrl+W, Enter...) runs in the box's own queue, behind the
        letters typed before it and ahead of those after it. Textual would let it bubble to
        the app to find the box's binding, while the letters after it are typed at once."""
        focused = self.focused if isinstance(event, events.Key) else None
        if isinstance(event, events.Key) and not event.is_forwarded and isinstance(focused, Input):
            action = _editing_action(focused, event.key)
            if action is not None and not (
                self.screen.maximized is not None and event.key == "escape"
            ):
                if not await self._check_bindings(event.key, priority=True):
                    focused.call_later(focused.run_action, action)
                return
        if isinstance(event, events.Key) and not event.is_forwarded and focused is not None:
            # Behind the keys the focused widget has not handled yet: a screen's action key
            # (a priority binding, run the moment it is read) after moves still in the table's
            # queue would act on the row the cursor is leaving. Later keys wait their turn.
            self._behind = event
            self._held_since = time.monotonic()
            if focused.call_later(self._deliver_behind, event):
                return
            self._behind = None  # the widget is closing: nothing is queued behind it
        await super().on_event(event)

    async def _deliver_behind(self, event: events.Key) -> None:
        if self._behind is not event:
            return  # delivered already: its widget took too long (see _release_held)
        if self._closing or not self.screen_stack:
            self._done(event)
            return  # the console is ending
        target = self.focused or self.screen
        self._behind_sent = True
        try:
            await super().on_event(event)
        finally:
            if event.is_forwarded:  # given to the focused widget: done once it is up
                self._follow(event, target)
            else:
                self._done(event)  # a priority binding ran it

    def _follow(self, event: events.Key, node: Any) -> None:
        """The key is in `node`'s queue: once `node` has handled it (a callback queued behind
        it), follow it to the parent it went up to, until the app has run it or a widget on
        the way stopped it."""
        if not node.call_later(self._handled_by, event, node):
            self._done(event)  # the widget is closing with the key

    def _handled_by(self, event: events.Key, node: Any) -> None:
        if self._behind is not event:
            return  # released by the late path
        parent = getattr(node, "_parent", None)
        if node is self or parent is None or event._stop_propagation or not event.bubble:
            self._done(event)
        else:
            self._follow(event, parent)

    def _done(self, event: events.Key) -> None:
        if self._behind is event:
            self._behind, self._behind_sent = None, False
        if self._held:
            self.set_timer(RETRY_SECONDS, self._release_held)

    async def _release_held(self) -> None:
        while self._held:
            if self._closing or not self.screen_stack:
                self._held.clear()  # the console is ending: nothing is left to take them
                return
            late = time.monotonic() - self._held_since > HOLD_AT_MOST
            if not late and not self._keys_ready():
                self.set_timer(RETRY_SECONDS, self._release_held)
                return
            if late and (behind := self._behind) is not None:
                sent, self._behind, self._behind_sent = self._behind_sent, None, False
                if not sent:  # its widget went with the key in its queue: on it goes
                    await super().on_event(behind)
            key = self._held.pop(0)
            await self._deliver(key)
            self._held_since = time.monotonic()


def _editing_action(box: Input, key: str) -> str | None:
    """The action a text box's own (not priority) binding gives `key`, if any."""
    for binding in box._bindings.key_to_bindings.get(key, []):
        if not binding.priority:
            return binding.action
    return None


def after_typed(widget: Widget, work: Callable[[], None]) -> None:
    """Run `work` once `widget` has handled every key already given to it; hold later keys
    until then (Enter in a box: the box's text is complete, and the focus has moved on)."""
    app = widget.app
    gate = app if isinstance(app, HoldKeysUntilFocused) else None
    if gate is not None:
        gate.hold_keys()

    def run() -> None:
        try:
            work()
        finally:
            if gate is not None:
                gate.release_keys()

    widget.call_later(run)
