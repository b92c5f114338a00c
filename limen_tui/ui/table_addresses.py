"""Asking the hosts for the addresses of the rows on screen, while the IP column is shown.

Every few seconds: the rows the table shows now, by host, handed to `Host.ask_addresses`,
which asks only for those whose answer expired (fleet/table_addresses.py). Nothing is asked
while the terminal is too narrow for the column.
"""

from __future__ import annotations

import logging

from limen_tui.fleet.fleet import Fleet
from limen_tui.ui.widgets.vm_table import VmTable

log = logging.getLogger("limen_tui.ui")

ASK_EVERY_S = 5.0

Key = tuple[str, str]


def rows_on_screen(table: VmTable) -> list[Key]:
    """(host, uuid) of the rows the table shows now, top to bottom."""
    return table.visible_keys()


async def ask_addresses(fleet: Fleet, keys: list[Key]) -> None:
    by_host: dict[str, list[str]] = {}
    for name, uuid in keys:
        by_host.setdefault(name, []).append(uuid)
    for key, uuids in by_host.items():
        host = fleet.hosts.get(key)
        if host is None:
            continue
        try:
            await host.ask_addresses(uuids)
        except Exception as exc:  # a host down or slow: the column keeps what it had
            log.debug("%s: addresses not read: %s", key, exc)
