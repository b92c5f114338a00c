"""A running VM's serial console through libvirt, as `virsh console` does it.

`SerialConsole.attach` opens the console on a non-blocking stream (a blocking RPC: call it in
the host's worker), then bytes flow through a `StreamPump` on the libvirt event thread to
the consumer's loop. One client at a time may hold a console: a second attach fails with
`SerialConsoleBusy`, and the UI may offer to take it over (`force=True`), which ends the other
client's session (it sees its stream fail).

The detach key is Ctrl+] (0x1d), as in virsh; the UI watches for it in what the operator
types and calls `detach()` instead of sending it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import libvirt

from limen_tui.virt.connection import describe_error
from limen_tui.virt.stream_pump import READ_SIZE, StreamPump

TAKEN_OVER_HINT = "another client may have taken the console over"


class SerialConsoleError(Exception):
    """The console could not be opened, in libvirt's words."""


class SerialConsoleBusy(SerialConsoleError):
    """Another client holds the console; attaching with force=True takes it over."""


def _is_busy(exc: libvirt.libvirtError) -> bool:
    # The QEMU and LXC drivers say "Active console session exists for this domain" with
    # OPERATION_FAILED; that code is generic, so the words decide.
    message = (exc.get_error_message() or str(exc)).lower()
    return exc.get_error_code() == libvirt.VIR_ERR_OPERATION_FAILED and "console session" in message


class SerialConsole:
    """One attached console. Output goes to `on_output` on `loop`; an end the operator did
    not ask for (the VM stopped, another client took over) goes to `on_closed`."""

    def __init__(self, name: str, pump: StreamPump) -> None:
        self.name = name
        self._pump = pump

    @classmethod
    def attach(
        cls,
        dom: libvirt.virDomain,
        *,
        loop: asyncio.AbstractEventLoop,
        on_output: Callable[[bytes], None],
        on_closed: Callable[[str], None],
        force: bool = False,
        device: str | None = None,
        read_size: int = READ_SIZE,
    ) -> SerialConsole:
        """Open `dom`'s console (its first one unless `device` names an alias).

        Blocking: call it in a worker. Raises SerialConsoleBusy if another client holds it and
        `force` is false, SerialConsoleError for anything else (not running, no console).
        """
        name = dom.name()
        stream = dom.connect().newStream(libvirt.VIR_STREAM_NONBLOCK)
        flags = libvirt.VIR_DOMAIN_CONSOLE_FORCE if force else 0
        try:
            dom.openConsole(device, stream, flags)
        except libvirt.libvirtError as exc:
            if _is_busy(exc):
                raise SerialConsoleBusy(
                    f"the console of {name} is in use by another client; take it over?"
                ) from exc
            raise SerialConsoleError(
                f"cannot open the console of {name}: {describe_error(exc)}"
            ) from exc

        def closed(reason: str) -> None:
            # Observed with QEMU: the VM stopping ends the stream cleanly; another client
            # forcing its way in makes ours fail with "stream had I/O failure".
            if reason == "end of stream":
                on_closed(f"the console of {name} ended (the VM stopped)")
            else:
                on_closed(f"the console of {name} closed: {reason} ({TAKEN_OVER_HINT})")

        pump = StreamPump(
            stream, loop=loop, on_data=on_output, on_closed=closed, read_size=read_size
        )
        try:
            pump.start()
        except BaseException:
            pump.stop()
            raise
        return cls(name, pump)

    @property
    def attached(self) -> bool:
        return not self._pump.reason

    @property
    def bytes_received(self) -> int:
        return self._pump.bytes_in

    def send(self, data: bytes) -> bool:
        """Type `data` into the console (non-blocking, any thread); False once it has ended."""
        return self._pump.send(data)

    def detach(self) -> None:
        """Let go of the console (blocking: call it in a worker). Idempotent."""
        self._pump.stop()
