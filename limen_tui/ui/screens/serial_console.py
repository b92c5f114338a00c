"""A VM's serial console inside the console: keys go to the guest, Ctrl+] detaches (as virsh)."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from limen_tui.fleet.errors import explain
from limen_tui.fleet.host import Host
from limen_tui.fleet.serial import SerialConsoleHandle
from limen_tui.model import DomainRow
from limen_tui.terminal.keys import DETACH_KEY_NAME, key_bytes
from limen_tui.terminal.vt100 import Terminal
from limen_tui.ui import text as fmt

REPAINT_SECONDS = 0.05
"""Console output comes in many tiny chunks; the screen is redrawn at most this often."""


class SerialConsoleScreen(Screen[None]):
    """Attached to one VM's serial console; only one writer: a busy console offers take-over."""

    DEFAULT_CSS = """
    SerialConsoleScreen { background: black; }
    SerialConsoleScreen #term { height: 1fr; color: white; background: black; }
    SerialConsoleScreen #bar { height: 1; background: $primary-background; }
    """

    def __init__(self, row: DomainRow, host: Host, *, force: bool = False) -> None:
        super().__init__()
        self.row = row
        self.host = host
        self.force = force
        self.terminal = Terminal()
        self.console: SerialConsoleHandle | None = None
        self.ended = ""
        self._repaint_all = True

    def compose(self) -> ComposeResult:
        yield Static(id="term", markup=False)
        yield Static(id="bar", markup=False)

    def _bar(self, text: str) -> None:
        if not self.is_mounted:
            return
        bar = Text(f" {fmt.printable(self.row.name)} on {fmt.printable(self.row.host)} · ")
        bar.append(text)
        bar.append(" · Ctrl+] detaches", style="bold")
        self.query_one("#bar", Static).update(bar)

    async def attach(self) -> None:
        """Attach before the screen is shown (the blocking part runs in the host's workers).

        Raises SerialConsoleInUse when another client holds the console and this is no take-over.
        """
        self.console = await self.host.open_serial_console(
            self.row.uuid, on_output=self._output, on_closed=self._console_ended, force=self.force
        )

    def on_mount(self) -> None:
        self.set_interval(REPAINT_SECONDS, self._repaint)
        self._bar(self.ended or "attached")
        self._repaint_all = True

    def _output(self, data: bytes) -> None:  # on this loop, from the stream pump
        self.terminal.feed(data)
        replies = self.terminal.take_replies()
        if replies and self.console is not None:
            self.console.send(replies)

    def _console_ended(self, reason: str) -> None:
        self.ended = reason
        self._bar(reason)

    def _repaint(self) -> None:
        if not self.terminal.take_dirty() and not self._repaint_all:
            return
        self._repaint_all = False
        lines = Text("\n", end="").join(Text(line, end="") for line in self.terminal.lines())
        self.query_one("#term", Static).update(lines)

    async def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        if event.key == DETACH_KEY_NAME:
            await self.detach()
            return
        data = key_bytes(event.key, event.character)
        if data and self.console is not None:
            self.console.send(data)

    async def detach(self) -> None:
        console, self.console = self.console, None
        if console is not None:
            try:
                await console.detach()
            except Exception as exc:
                self.notify(f"detach: {explain(exc)}", severity="warning", markup=False)
        self.app.pop_screen()
