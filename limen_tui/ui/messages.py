"""The console's Textual messages: one carries any core update, one a line of the own log.

There is no twin message per update type: `FleetUpdated` carries the fleet's value as it is,
and the app routes it by its type (app.py). The fleet calls the app's sink on this loop, but
sometimes from a plain callback (libvirt's event thread hands over with call_soon_threadsafe),
outside Textual's context; a message makes the handler run in the app's own message pump.
Log lines come from any thread (whatever called `logging`), and posting is thread-safe.
"""

from __future__ import annotations

from textual.message import Message

from limen_tui.fleet.updates import FleetUpdate
from limen_tui.logs.buffer import LogLine


class FleetUpdated(Message):
    def __init__(self, update: FleetUpdate) -> None:
        super().__init__()
        self.update = update


class OwnLogLine(Message):
    def __init__(self, line: LogLine) -> None:
        super().__init__()
        self.line = line
