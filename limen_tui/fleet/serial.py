"""Opening a VM's serial console through its host: attach in a worker, detach in a worker."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol

import libvirt

from limen_tui.fleet.errors import SerialConsoleInUse
from limen_tui.virt.serial_console import SerialConsole, SerialConsoleBusy


class _Host(Protocol):
    async def on_domain(
        self, uuid: str, fn: Callable[[libvirt.virDomain], SerialConsole]
    ) -> SerialConsole: ...

    def call(self, fn: Callable[[], None], limit: float | None = None) -> Awaitable[None]: ...


class SerialConsoleHandle:
    """One attached serial console, as the UI holds it."""

    def __init__(self, console: SerialConsole, host: _Host) -> None:
        self._console, self._host = console, host

    @property
    def attached(self) -> bool:
        return self._console.attached

    @property
    def bytes_received(self) -> int:
        return self._console.bytes_received

    def send(self, data: bytes) -> bool:
        """Type `data` into the console (non-blocking); False once it has ended."""
        return self._console.send(data)

    async def detach(self) -> None:
        await self._host.call(self._console.detach, 10.0)


async def open_serial_console(
    host: _Host,
    uuid: str,
    on_output: Callable[[bytes], None],
    on_closed: Callable[[str], None],
    force: bool,
) -> SerialConsoleHandle:
    """Raises SerialConsoleInUse when another client holds it and this is no take-over."""
    loop = asyncio.get_running_loop()

    def attach(dom: libvirt.virDomain) -> SerialConsole:
        return SerialConsole.attach(
            dom, loop=loop, on_output=on_output, on_closed=on_closed, force=force
        )

    try:
        console = await host.on_domain(uuid, attach)
    except SerialConsoleBusy as exc:
        raise SerialConsoleInUse(str(exc)) from exc
    return SerialConsoleHandle(console, host)
