"""The serial console against a real QEMU guest: boot text, typing, busy, take-over, detach.

The guest is the harness's tiny domain: SeaBIOS writes to the serial port
(`<bios useserial='yes'/>`), then iPXE, which offers its shell ("Press Ctrl-B") for two
seconds. The
console is opened the way the app does it: libvirtaio on its own event thread, blocking
calls in worker threads, output arriving on the test's loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import libvirt
import pytest

from limen_tui.terminal.vt100 import Terminal
from limen_tui.virt.eventloop import ensure_event_loop
from limen_tui.virt.serial_console import SerialConsole, SerialConsoleBusy, SerialConsoleError
from tests.conftest import MakeVm

WAIT = 30.0  # TCG is slow on a busy machine; nothing here sleeps, this only bounds a wait


class Watcher:
    """What one attached console received, its screen, and why it closed."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.screen = Terminal(80, 24)
        self.closed: list[str] = []
        self._changed = asyncio.Event()

    def on_output(self, data: bytes) -> None:
        self.data += data
        self.screen.feed(data)
        self._changed.set()

    def on_closed(self, reason: str) -> None:
        self.closed.append(reason)
        self._changed.set()

    async def wait_for(
        self, what: bytes | None = None, *, closed: bool = False, times: int = 1
    ) -> None:
        """Until `what` has arrived `times` times, or (with `closed`) the console closed."""

        def seen() -> bool:
            if closed and self.closed:
                return True
            return what is not None and self.data.count(what) >= times

        async def until() -> None:
            while not seen():
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(until(), WAIT)
        except TimeoutError:
            raise AssertionError(
                f"waited {WAIT}s for {what!r} closed={closed}; got {bytes(self.data[-400:])!r}"
                f" closed={self.closed}"
            ) from None


@pytest.fixture
def conn(libvirtd: str) -> Iterator[libvirt.virConnect]:
    ensure_event_loop()  # before the connection, as the app does
    c = libvirt.open(libvirtd)
    try:
        yield c
    finally:
        c.close()


async def boot_attached(
    conn: libvirt.virConnect, vm_factory: MakeVm, suffix: str, watcher: Watcher
) -> tuple[libvirt.virDomain, SerialConsole]:
    """Start the guest paused, attach, then let it run: QEMU drops what a pty console prints
    while nobody holds it, so attaching after a plain start can miss SeaBIOS on a busy
    machine (seen: the first bytes received were iPXE's DHCP retries)."""
    dom = conn.lookupByName(vm_factory(suffix))
    await asyncio.to_thread(dom.createWithFlags, libvirt.VIR_DOMAIN_START_PAUSED)
    console = await attach(dom, watcher)
    await asyncio.to_thread(dom.resume)
    return dom, console


async def attach(dom: libvirt.virDomain, watcher: Watcher, *, force: bool = False) -> SerialConsole:
    loop = asyncio.get_running_loop()
    return await asyncio.to_thread(
        SerialConsole.attach,
        dom,
        loop=loop,
        on_output=watcher.on_output,
        on_closed=watcher.on_closed,
        force=force,
    )


async def type_slowly(console: SerialConsole, watcher: Watcher, text: bytes) -> None:
    """Type a few keys at a time, waiting for their echo, as a person would.

    Keys reach iPXE through SeaBIOS's serial console, which queues them in the BIOS
    keyboard buffer: 15 keys. Faster than the guest reads, the rest is dropped (seen here:
    "echo limen-[bold]" sent at once arrived as "echo limen-[bol").
    """
    for start in range(0, len(text), 8):
        chunk = text[start : start + 8]
        assert console.send(chunk)
        await watcher.wait_for(text[: start + len(chunk)])


async def test_boot_text_arrives_and_keys_reach_the_guest(
    conn: libvirt.virConnect, vm_factory: MakeVm
) -> None:
    watcher = Watcher()
    _dom, console = await boot_attached(conn, vm_factory, "console", watcher)
    try:
        await watcher.wait_for(b"SeaBIOS")
        # Take iPXE's second offer (the first, "Ctrl-B to configure iPXE", opens a full-screen
        # settings menu): its shell echoes what we type and runs it.
        await watcher.wait_for(b"Ctrl-B for the iPXE command line")
        assert console.send(b"\x02")
        await watcher.wait_for(b"iPXE>")
        await type_slowly(console, watcher, b"echo limen-[bold]")
        assert console.send(b"\r")
        await watcher.wait_for(b"limen-[bold]", times=2)  # the echo of the line, then its output
        await watcher.wait_for(b"iPXE>", times=2)
    finally:
        await asyncio.to_thread(console.detach)
    text = watcher.screen.text()
    assert "SeaBIOS" in text
    assert "iPXE> echo limen-[bold]" in text
    assert "\nlimen-[bold]\n" in text
    assert watcher.closed == []  # a detach we asked for is not reported as a loss
    assert console.bytes_received == len(watcher.data)


async def test_busy_then_take_over_then_detach_frees_it(
    conn: libvirt.virConnect, vm_factory: MakeVm
) -> None:
    first, second, third = Watcher(), Watcher(), Watcher()
    dom, holder = await boot_attached(conn, vm_factory, "busy", first)
    await first.wait_for(b"SeaBIOS")

    with pytest.raises(SerialConsoleBusy, match="in use by another client; take it over"):
        await attach(dom, second)

    taker = await attach(dom, second, force=True)
    await first.wait_for(closed=True)
    assert not holder.attached
    assert "may have taken the console over" in first.closed[0]
    assert not holder.send(b"x")  # it is gone; typing into it says so
    await asyncio.to_thread(holder.detach)

    # After a clean detach the console is free again: no force needed.
    await asyncio.to_thread(taker.detach)
    await asyncio.to_thread(taker.detach)  # idempotent
    again = await attach(dom, third)
    await asyncio.to_thread(again.detach)
    assert second.closed == [] and third.closed == []


async def test_the_vm_stopping_ends_the_console(
    conn: libvirt.virConnect, vm_factory: MakeVm
) -> None:
    watcher = Watcher()
    dom, console = await boot_attached(conn, vm_factory, "stops", watcher)
    await watcher.wait_for(b"SeaBIOS")
    await asyncio.to_thread(dom.destroy)
    await watcher.wait_for(closed=True)
    assert watcher.closed == [f"the console of {dom.name()} ended (the VM stopped)"]
    await asyncio.to_thread(console.detach)

    with pytest.raises(SerialConsoleError, match="cannot open the console") as refused:
        await attach(dom, Watcher())
    assert not isinstance(refused.value, SerialConsoleBusy)
