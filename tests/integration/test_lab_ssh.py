"""The lab's hosts reached as the console reaches a remote host: libvirt over qemu+tcp, health
and logs over each host's own sshd (in the host's namespaces) with checked host keys."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from limen_tui.config.settings import Settings
from limen_tui.fleet.fleet import Fleet, HostPlan
from limen_tui.fleet.updates import FleetUpdate
from limen_tui.hosts.monitor import HealthSettings, HealthStateChanged, HealthUpdated
from limen_tui.hosts.ssh import SshSettings, SshTarget
from limen_tui.logs.lines import Batch
from limen_tui.model import LinkState
from tests.harness.lab import Lab
from tests.harness.lab_fixtures import define_stub, sweep_lab_domains

pytestmark = pytest.mark.libvirtd


@dataclass
class SshConsole:
    fleet: Fleet
    updates: list[FleetUpdate]


def _plans(lab: Lab, known_hosts: Path) -> list[HostPlan]:
    return [
        HostPlan(
            h.uri,
            name=h.name,
            ssh=SshTarget(h.name, h.address, h.ssh_port, "root", lab.ssh_key, known_hosts),
            health=True,
        )
        for h in lab.hosts.values()
    ]


async def _started(lab: Lab, known_hosts: Path) -> SshConsole:
    updates: list[FleetUpdate] = []
    fleet = Fleet(
        _plans(lab, known_hosts),
        updates.append,
        Settings(refresh_interval=1.0, reconnect_min=0.2, reconnect_max=1.0),
        health=HealthSettings(interval=0.5, timeout=10),
        ssh=SshSettings(connect_timeout=10, ssh_config=None),
    )
    fleet.start()
    return SshConsole(fleet, updates)


@pytest.fixture
async def ssh_console(lab: Lab) -> AsyncIterator[SshConsole]:
    console = await _started(lab, lab.known_hosts)
    try:
        yield console
    finally:
        await console.fleet.stop()
        sweep_lab_domains(lab)


async def _until(check: object, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def _first_lines(opener: object, want: str, limit: float = 20.0) -> tuple[list[str], str]:
    gen, note = await opener()  # type: ignore[operator]
    seen: list[str] = []
    try:
        deadline = time.monotonic() + limit
        while not any(want in line for line in seen):
            assert time.monotonic() < deadline, f"{want!r} never came: {seen[-5:]}"
            batch: Batch = await asyncio.wait_for(gen.__anext__(), limit)
            seen.extend(batch.lines)
    finally:
        await gen.aclose()
    return seen, note


async def test_health_and_logs_come_over_each_hosts_own_sshd(
    lab: Lab, ssh_console: SshConsole
) -> None:
    fleet, updates = ssh_console.fleet, ssh_console.updates

    def sampled() -> set[str]:
        return {u.host for u in updates if isinstance(u, HealthUpdated)}

    await _until(lambda: sampled() == set(lab.hosts))
    sample = next(u.sample for u in updates if isinstance(u, HealthUpdated) and u.host == "lab-b")
    assert (sample.mem_total or 0) > 0 and (sample.uptime_s or 0) > 0

    name = define_stub(lab, "lab-b", "sshlog", start=True)
    await _until(lambda: fleet.hosts["lab-b"].status.state is LinkState.LIVE)
    # lab-b's own /var/log/libvirt/qemu, read by a shell in lab-b's namespaces.
    lines, note = await _first_lines(fleet.hosts["lab-b"].logs.qemu_log(name), f"guest={name}")
    assert note == f"following /var/log/libvirt/qemu/{name}.log"
    assert any(f"-name guest={name}" in line for line in lines)  # QEMU's command line
    # lab-a never ran it: its log folder, over lab-a's sshd, has no such file.
    gen, note_a = await fleet.hosts["lab-a"].logs.qemu_log(name)()
    await gen.aclose()
    assert note_a == (
        f"no QEMU log yet at /var/log/libvirt/qemu/{name}.log; it appears when the VM starts"
    )
    # A line only lab-b's daemon log has (the file behind lab-b's /var/log/libvirt).
    marker = f"limen-lab-marker {time.time()}"
    with lab.hosts["lab-b"].daemon_log.open("a") as log:
        log.write(f"2026-12-01 12:00:00.000+0000: 1: warning : {marker}\n")
    daemon, note_d = await _first_lines(fleet.hosts["lab-b"].logs.daemon_log(), marker)
    assert note_d == "following /var/log/libvirt/libvirtd.log on lab-b"
    assert any(marker in line for line in daemon)
    assert marker not in lab.hosts["lab-a"].daemon_log.read_text(errors="replace")


async def test_a_host_key_that_does_not_match_is_refused(lab: Lab, tmp_path: Path) -> None:
    a, b = lab.hosts["lab-a"], lab.hosts["lab-b"]
    # A known_hosts that gives lab-a's address lab-b's key: a host that changed its key.
    lines = lab.known_hosts.read_text().splitlines()
    b_key = next(line for line in lines if line.startswith(f"{b.address} ")).split(" ", 1)[1]
    wrong = tmp_path / "known_hosts"
    wrong.write_text(f"{a.address} {b_key}\n")
    console = await _started(lab, wrong)
    try:
        await _until(
            lambda: any(
                isinstance(u, HealthStateChanged) and u.host == "lab-a" and u.reason
                for u in console.updates
            )
        )
        said = next(
            u
            for u in console.updates
            if isinstance(u, HealthStateChanged) and u.host == "lab-a" and u.reason
        )
        assert said.state is not LinkState.LIVE
        assert str(wrong) in said.reason, said.reason
        assert not any(isinstance(u, HealthUpdated) and u.host == "lab-a" for u in console.updates)
    finally:
        await console.fleet.stop()
