"""Ctrl+P: every action and screen, from the same registry as the keys, for the screen it was
opened on. On the main screen: the VM actions (on the selection, asked about by the same rule as
their keys), its built-in keys, the `:` command line's views; on any other screen, its keys."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

from limen_tui.fleet.registry import ACTIONS, OTHER_KEYS, SCREEN_KEYS, VM_MENU
from limen_tui.ui.command_line import RESOURCES, VIEW_COMMANDS, Command
from limen_tui.ui.keys import key_label
from limen_tui.ui.screens.main_commands import MainCommands

Entry = tuple[str, str, Callable[[], object]]
"""(what the palette shows, its help line, what choosing it does)."""


def main_entries(screen: MainCommands) -> Iterator[Entry]:
    async def on_table(action: str) -> None:
        screen.set_focus(screen.table)  # what the key would act on, focused again
        await screen.app.run_action(action, screen)

    for action in VM_MENU:
        spec = ACTIONS[action]
        key = f" ({key_label(spec.key)})" if spec.key else ""
        run = partial(screen.run_command, Command("action", action))
        yield f"{spec.label}{key}", "VM action: the marked VMs, else the selected one", run
    for c in OTHER_KEYS:
        yield f"{c.label} ({key_label(c.key)})", "on the VM table", partial(on_table, c.method)
    for k in SCREEN_KEYS:
        yield f"{k.label} ({key_label(k.key)})", "main screen key", partial(on_table, k.action)
    for name, what in RESOURCES.items():
        yield f":{name}", what, partial(screen.run_command, Command("resource", name))
    for name in ("columns", "help", "quit"):
        run = partial(screen.run_command, Command("view", name))
        yield f":{name}", VIEW_COMMANDS[name], run
    for column in screen.table.shown_columns:
        for order in ("asc", "desc"):
            label = f"Sort by {column.label}{' (descending)' if order == 'desc' else ''}"
            sort = Command("view", "sort", (column.key, order))
            yield label, f":sort {column.key} {order}", partial(screen.run_command, sort)


def screen_entries(screen: Screen[Any]) -> Iterator[Entry]:
    for b in screen.BINDINGS:
        if isinstance(b, Binding) and b.description:
            run = partial(screen.app.run_action, b.action, screen)
            yield f"{b.description} ({key_label(b.key)})", type(screen).__name__, run


class LimenCommands(Provider):
    def _entries(self) -> list[Entry]:
        screen = self.screen
        if isinstance(screen, MainCommands):
            return list(main_entries(screen))
        return list(screen_entries(screen))

    async def discover(self) -> Hits:
        for text, help_text, run in self._entries():
            yield DiscoveryHit(text, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, run in self._entries():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), run, text=text, help=help_text)
