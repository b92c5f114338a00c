"""Worker failures go to one place: the app's `@on(Worker.StateChanged)` handler.

Textual sends a worker's state changes only to the node that started it (they do not bubble),
so a screen or widget that runs workers inherits this: it hands a failed worker's message on
to the app, and shows, logs or reports nothing itself. Workers stay on their node, so they
still end with the screen that started them.
"""

from __future__ import annotations

from textual import on
from textual.message_pump import MessagePump
from textual.worker import Worker, WorkerState


class WorkerFailuresToApp(MessagePump):
    @on(Worker.StateChanged)
    def _failure_to_app(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.app.post_message(event)
