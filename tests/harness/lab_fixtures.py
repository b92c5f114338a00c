"""pytest fixtures of the lab (tests/harness/lab.py): one lab per session, a fleet per test.

Import the fixtures into a test module (`from tests.harness.lab_fixtures import lab, ...`);
every module that does shares the one lab, which ends with the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import libvirt
import pytest

from limen_tui.config.settings import Settings
from limen_tui.fleet.fleet import Fleet, HostPlan
from limen_tui.fleet.operations import Operation
from limen_tui.fleet.updates import FleetUpdate
from limen_tui.model import LinkState
from tests.harness.lab import Lab, sweep_leftover_labs
from tests.harness.libvirtd import TEST_PREFIX, remove_domain, tiny_domain_xml, unique_prefix
from tests.harness.serial_shell import SerialShell

_shared: list[Lab] = []
_users = [0]
KEPT: set[str] = set()
"""Domains a module-scoped fixture owns: the per-test sweep leaves them alone."""


@pytest.fixture(scope="session")
def lab(libvirtd: str) -> Iterator[Lab]:
    """Two lab hosts, lab-a and lab-b, started once per session and always stopped."""
    if not _shared:
        sweep_leftover_labs()
        _shared.append(Lab().start(2))
    _users[0] += 1
    try:
        yield _shared[0]
    finally:
        _users[0] -= 1
        if _users[0] == 0:
            _shared.pop().stop()


def sweep_lab_domains(lab: Lab) -> None:
    """Remove the test domains from every lab host (a migrated VM may be on either), but
    those in `KEPT`."""
    for host in lab.hosts.values():
        with contextlib.suppress(libvirt.libvirtError):
            conn = host.open()
            try:
                for dom in conn.listAllDomains(0):
                    if dom.name().startswith(TEST_PREFIX) and dom.name() not in KEPT:
                        with contextlib.suppress(libvirt.libvirtError):
                            remove_domain(conn, dom.name())
            finally:
                conn.close()


class LabConsole:
    """A fleet of the lab's hosts, as the console builds it, and what it published."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.updates: list[FleetUpdate] = []
        self.audited: list[Operation] = []
        plans = [HostPlan(h.uri, name=h.name) for h in lab.hosts.values()]
        settings = Settings(refresh_interval=1.0, reconnect_min=0.2, reconnect_max=1.0)
        self.fleet = Fleet(plans, self.updates.append, settings, audit=self.audited.append)

    async def live(self, limit: float = 30.0) -> None:
        deadline = asyncio.get_running_loop().time() + limit
        while not all(
            h.status.state is LinkState.LIVE and h.link.collector is not None
            for h in self.fleet.hosts.values()
        ):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError({k: h.status for k, h in self.fleet.hosts.items()})
            await asyncio.sleep(0.05)


@pytest.fixture
async def lab_console(lab: Lab) -> AsyncIterator[LabConsole]:
    """A started fleet of lab-a and lab-b, live; test domains are swept after the test."""
    console = LabConsole(lab)
    console.fleet.start()
    try:
        await console.live()
        yield console
    finally:
        await console.fleet.stop()
        sweep_lab_domains(lab)


def pool_xml(name: str, directory: Path) -> str:
    pool = ET.Element("pool", type="dir")
    ET.SubElement(pool, "name").text = name
    ET.SubElement(ET.SubElement(pool, "target"), "path").text = str(directory)
    return ET.tostring(pool, encoding="unicode")


@contextlib.contextmanager
def shared_pool(lab: Lab, directory: Path) -> Iterator[str]:
    """A dir pool over `directory` on every lab host (the same folder everywhere)."""
    name = f"{TEST_PREFIX}{directory.name}"[:60]
    made: list[libvirt.virStoragePool] = []
    conns = [h.open() for h in lab.hosts.values()]
    try:
        for conn in conns:
            pool = conn.storagePoolCreateXML(pool_xml(name, directory), 0)
            made.append(pool)
        yield name
    finally:
        for pool in made:
            with contextlib.suppress(libvirt.libvirtError):
                pool.destroy()
        for conn in conns:
            with contextlib.suppress(libvirt.libvirtError):
                conn.close()


def where(lab: Lab, name: str) -> dict[str, bool]:
    """Host -> whether the VM runs there, for every host that has it."""
    found = {}
    for key, host in lab.hosts.items():
        conn = host.open()
        try:
            found[key] = bool(conn.lookupByName(name).isActive())
        except libvirt.libvirtError:
            pass
        finally:
            conn.close()
    return found


def define_stub(lab: Lab, host: str, suffix: str, *, start: bool, xml: str | None = None) -> str:
    name = f"{unique_prefix()}{suffix}"
    conn = lab.hosts[host].open()
    try:
        dom = conn.defineXML(xml or tiny_domain_xml(name, nic="none"))
        if start:
            dom.create()
        return str(dom.name())
    finally:
        conn.close()


def shell_on(lab: Lab, host: str, name: str) -> SerialShell:
    conn = lab.hosts[host].open()
    try:
        root = ET.fromstring(conn.lookupByName(name).XMLDesc(0))
    finally:
        conn.close()
    source = root.find("./devices/serial[@type='pty']/source")
    assert source is not None
    return SerialShell(str(source.get("path")))
