"""Opening the device dialog and the domain XML screen of one VM (from the VM screen or the
action menu), each handed the VM, its host and a way to run its changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.screen import Screen

from limen_tui.fleet.host import Host
from limen_tui.model import DomainRow

# The screens' modules are imported when first opened, not at start.


def _nothing() -> None:
    """After the screen closes, nothing to read again."""


def open_devices(
    screen: Screen[Any],
    row: DomainRow | None,
    host: Host | None,
    then: Callable[[], None] = _nothing,
) -> None:
    if row is None or host is None:
        screen.notify("No VM selected", severity="warning")
        return
    from limen_tui.ui.screens.devices import DeviceScreen, change_runner

    screen.app.push_screen(DeviceScreen(row, host, change_runner(row, host)), lambda _: then())


def open_domain_xml(
    screen: Screen[Any],
    row: DomainRow | None,
    host: Host | None,
    then: Callable[[], None] = _nothing,
) -> None:
    if row is None or host is None:
        screen.notify("No VM selected", severity="warning")
        return
    from limen_tui.ui.screens.devices import change_runner
    from limen_tui.ui.screens.domain_xml import XmlScreen

    screen.app.push_screen(XmlScreen(row, host, change_runner(row, host)), lambda _: then())
