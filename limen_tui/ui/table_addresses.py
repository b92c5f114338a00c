"""Asking the hosts for the addresses of the rows on screen, while the IP column is shown.

Every few seconds: the rows the table shows now, by host, handed to `Host.ask_addresses`,
which asks only for those whose answer expired (fleet/table_addresses.py). Nothing is asked
while the terminal is too narrow for the column.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from limen_tui.fleet.fleet import Fleet

log = logging.getLogger("limen_tui.ui")

ASK_EVERY_S = 5.0

Key = tuple[str, str]


def rows_on_screen(table: Any) -> list[Key]:
    """(host, uuid) of the rows the table shows now, top to bottom.

    A table that knows its visible rows says so (`visible_keys()`); else a DataTable's rows
    from its scroll offset down, as many as fit."""
    visible = getattr(table, "visible_keys", None)
    if callable(visible):
        return list(visible())
    top, height = int(table.scroll_offset.y), int(table.size.height)
    keys: list[Key] = []
    with contextlib.suppress(Exception):  # a table mid-rebuild: ask next time
        for row in table.ordered_rows[top : top + height]:
            uuid, _, host = str(row.key.value).partition("@")
            keys.append((host, uuid))
    return keys


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
