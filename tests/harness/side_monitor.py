"""A real QEMU's CD-ROM tray moved behind libvirt's back, as a guest moves it.

A guest closes a tray libvirt has just opened, in two ways, and a test cannot wait for a guest
to do either at the right moment, so this side does the guest's part on purpose:

- with an event: a Linux guest closes the tray as its drive is opened (the cdrom driver's
  autoclose; udev opens the drive after every media change). QEMU reports the move
  (``DEVICE_TRAY_MOVED``) and libvirt's record follows. :meth:`SideMonitor.close_on_open`
  closes the tray (``blockdev-close-tray``, the device change a guest's ATAPI "load" makes)
  each time QEMU reports it opened.
- without one: an IDE drive reset (SeaBIOS resets the IDE channels as it probes them at boot)
  shuts the tray and QEMU reports nothing, so libvirt keeps "open" while QEMU has it shut.
  A domain started paused with its tray opened here (:meth:`SideMonitor.open_tray`) meets that
  reset as soon as it runs.

The domain gets a second QMP monitor (``-qmp`` through ``<qemu:commandline>``) that this side
holds; libvirt's own monitor is untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"


def with_side_monitor(domain_xml: str, socket: Path) -> str:
    """The domain's XML with a second QMP monitor listening on `socket`."""
    ET.register_namespace("qemu", QEMU_NS)
    root = ET.fromstring(domain_xml)
    line = ET.SubElement(root, f"{{{QEMU_NS}}}commandline")
    for arg in ("-qmp", f"unix:{socket},server=on,wait=off"):
        ET.SubElement(line, f"{{{QEMU_NS}}}arg", value=arg)
    return ET.tostring(root, encoding="unicode")


class SideMonitor:
    """A QMP monitor of the test's own on a running QEMU."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self._ids = itertools.count()
        self._replies: dict[str, asyncio.Future[Any]] = {}
        self._closes_left = 0
        self.closed = 0
        """Trays this side closed as they opened."""
        self._task = asyncio.ensure_future(self._serve())

    @classmethod
    async def connect(cls, socket: Path, wait_s: float = 10.0) -> SideMonitor:
        loop = asyncio.get_running_loop()
        end = loop.time() + wait_s
        while True:
            try:
                reader, writer = await asyncio.open_unix_connection(str(socket))
                break
            except OSError:
                if loop.time() > end:
                    raise
                await asyncio.sleep(0.05)
        await reader.readline()  # QMP greeting
        writer.write(b'{"execute": "qmp_capabilities"}\n')
        reply = json.loads(await reader.readline())
        assert "return" in reply, reply
        return cls(reader, writer)

    def _send(self, name: str, arguments: dict[str, Any], tag: str) -> None:
        msg = {"execute": name, "arguments": arguments, "id": tag}
        self._writer.write(json.dumps(msg).encode() + b"\n")

    async def command(self, name: str, **arguments: Any) -> Any:
        tag = f"test-{next(self._ids)}"
        reply = self._replies[tag] = asyncio.get_running_loop().create_future()
        self._send(name, arguments, tag)
        return await asyncio.wait_for(reply, 10)

    async def open_tray(self, qdev_id: str) -> None:
        await self.command("blockdev-open-tray", id=qdev_id)

    async def tray_open(self, qdev_id: str) -> bool:
        """QEMU's own view of the tray (query-block)."""
        for block in await self.command("query-block"):
            if block.get("qdev") == qdev_id:
                return bool(block["tray_open"])
        raise LookupError(qdev_id)

    def close_on_open(self, times: int) -> None:
        """Close the tray on each of the next `times` "opened" reports."""
        self._closes_left = times

    async def _serve(self) -> None:
        while line := await self._reader.readline():
            msg: dict[str, Any] = json.loads(line)
            reply = self._replies.pop(str(msg.get("id")), None)
            if reply is not None and not reply.done():
                if "error" in msg:
                    reply.set_exception(RuntimeError(msg["error"]))
                else:
                    reply.set_result(msg.get("return"))
                continue
            if msg.get("event") != "DEVICE_TRAY_MOVED" or self._closes_left <= 0:
                continue
            data = msg["data"]
            if data.get("tray-open"):
                self._closes_left -= 1
                self.closed += 1
                self._send("blockdev-close-tray", {"id": data["id"]}, f"closer-{self.closed}")

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()
