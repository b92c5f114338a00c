"""A VM's serial console inside the console: keys go to the guest, Ctrl+] detaches (as virsh)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import libvirt
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from limen_tui.model import DomainRow
from limen_tui.terminal.keys import DETACH_KEY_NAME, key_bytes
from limen_tui.terminal.vt100 import Terminal
from limen_tui.ui import text as fmt
from limen_tui.virt.serial_console import SerialConsole

if TYPE_CHECKING:
    from limen_tui.ui.app import LimenApp

REPAINT_SECONDS = 0.05
"""Console output comes in many tiny chunks; the screen is redrawn at most this often."""


class SerialConsoleScreen(Screen[None]):
    """Attached to one VM's serial console; only one writer: a busy console offers take-over."""

    DEFAULT_CSS = """
    SerialConsoleScreen { background: black; }
    SerialConsoleScreen #term { height: 1fr; color: white; background: black; }
    SerialConsoleScreen #bar { height: 1; background: $primary-background; }
    """

    def __init__(self, row: DomainRow, *, force: bool = False) -> None:
        super().__init__()
        self.row = row
        self.force = force
        self.terminal = Terminal()
        self.console: SerialConsole | None = None
        self.ended = ""
        self._repaint_all = True

    @property
    def limen(self) -> LimenApp:
        from limen_tui.ui.app import LimenApp

        assert isinstance(self.app, LimenApp)
        return self.app

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
        """Attach before the screen is shown (blocking part in the host's workers).

        Raises SerialConsoleBusy when another client holds the console and this is no take-over.
        """
        fleet = self.limen.fleet
        if fleet is None or self.row.host not in fleet.sessions:
            raise RuntimeError("not connected to this host")
        loop = asyncio.get_running_loop()

        def attach(dom: libvirt.virDomain) -> SerialConsole:
            return SerialConsole.attach(
                dom,
                loop=loop,
                on_output=self._output,
                on_closed=self._console_ended,
                force=self.force,
            )

        self.console = await fleet.sessions[self.row.host].on_domain(self.row.uuid, attach)

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
        fleet = self.limen.fleet
        session = fleet.sessions.get(self.row.host) if fleet is not None else None
        if console is not None and session is not None:
            try:
                await session.call(console.detach, 10.0)
            except Exception as exc:
                self.limen.notify(f"detach: {exc}", severity="warning", markup=False)
        self.app.pop_screen()
