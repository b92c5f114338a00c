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

    TAKES_EVERY_KEY = True
    """Ctrl+C and Ctrl+Q are the guest's here (the app does not quit on them)."""
    DEFAULT_CSS = """
    SerialConsoleScreen { background: black; }
    SerialConsoleScreen #bar { height: 1; dock: top; background: $primary-background; }
    SerialConsoleScreen #term { height: 1fr; color: white; background: black; }
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
        # The title line is its own widget, docked on top: what the guest writes never
        # scrolls it away nor paints over it.
        yield Static(self.title_line("attaching…"), id="bar", markup=False)
        yield Static(id="term", markup=False)

    def title_line(self, state: str) -> Text:
        bar = Text(" Serial console of ", no_wrap=True, overflow="ellipsis", end="")
        bar.append_text(fmt.literal(self.row.name, "bold"))
        bar.append(" on ").append_text(fmt.literal(self.row.host, "bold"))
        bar.append(" · ")
        bar.append("Ctrl+] detaches", style="bold reverse")
        readonly = self.host.settings.readonly
        bar.append(" · ")
        bar.append("read-only" if readonly else "keys go to the guest", style="bold")
        bar.append(f" · {state}")
        return bar

    def _bar(self, text: str) -> None:
        if not self.is_mounted:
            return
        self.query_one("#bar", Static).update(self.title_line(text))

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
        term = self.query_one("#term", Static)
        rows = self.terminal.lines()
        if 0 < term.size.height < len(rows):
            rows = rows[-term.size.height :]  # under the title line: keep the cursor's rows
        term.update(Text("\n", end="").join(Text(line, end="") for line in rows))

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
