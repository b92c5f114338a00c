"""Migration on the lab: two real hypervisor hosts (own namespaces, own libvirtd) on this machine.

The real Linux guest is booted once for the module and moved around by its tests, in order:
aborted, then its destination killed, then migrated live while it burns CPU and writes its
disk. The checks and the offline move use diskless PXE stubs; copy storage moves a stub's
qcow2 disk from lab-a's own folder to lab-b's.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import libvirt
import pytest

from limen_tui.fleet.migration import Migration
from limen_tui.fleet.operations import OpState
from limen_tui.model import DomainRow, PowerState
from limen_tui.model.action_params import Migrate
from tests.harness.guest_image import GuestBoot
from tests.harness.lab import Lab
from tests.harness.lab_fixtures import (
    KEPT,
    LabConsole,
    define_stub,
    shared_pool,
    shell_on,
    where,
)
from tests.harness.libvirtd import tiny_domain_xml, unique_prefix
from tests.harness.linux_guest import LinuxGuest
from tests.harness.serial_shell import SerialShell

pytestmark = pytest.mark.libvirtd


@pytest.fixture(scope="module")
def guest(lab: Lab, guest_boot_image: GuestBoot) -> Iterator[LinuxGuest]:
    """The real guest, booted on lab-a with its disk in the shared images folder (a local
    folder to libvirt, hence `shared_unseen` in its migrations)."""
    conn = lab.hosts["lab-a"].open()
    made = LinuxGuest.start(conn, "mig", nics=0, boot=guest_boot_image)
    KEPT.add(made.name)
    try:
        yield made.wait_ready()
    finally:
        KEPT.discard(made.name)
        made.remove()
        for host in lab.hosts.values():  # it may have ended on lab-b
            try:
                other = host.open()
            except libvirt.libvirtError:
                continue
            try:
                from tests.harness.libvirtd import remove_domain

                remove_domain(other, made.name)
            finally:
                other.close()
        conn.close()


async def row_of(console: LabConsole, host: str, name: str, limit: float = 15) -> DomainRow:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for row in console.fleet.hosts[host].rows.values():
            if row.name == name:
                return row
        await asyncio.sleep(0.05)
    raise AssertionError(f"{name} never showed on {host}")


async def gone_from(console: LabConsole, host: str, name: str, limit: float = 15) -> None:
    deadline = time.monotonic() + limit
    while any(r.name == name for r in console.fleet.hosts[host].rows.values()):
        assert time.monotonic() < deadline, f"{name} is still shown on {host}"
        await asyncio.sleep(0.05)


async def progress_seen(job: Migration, processed: int, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while job.progress is None or job.progress.processed_bytes < processed:
        assert job.op.state is OpState.RUNNING or not job.op.state.finished, job.op
        assert time.monotonic() < deadline, "no progress from the job stats"
        await asyncio.sleep(0.1)


async def test_a_failing_check_is_a_sentence_and_starts_nothing(
    lab: Lab, lab_console: LabConsole
) -> None:
    name = define_stub(lab, "lab-a", "tight", start=True)
    row = await row_of(lab_console, "lab-a", name)
    a = lab.hosts["lab-a"].open()
    try:
        free = a.getFreeMemory()
    finally:
        a.close()
    # The hosts share this machine's memory: a reserve makes lab-b's free memory too small.
    job = lab_console.fleet.migration(row, Migrate("lab-b"), reserve_bytes=free - 32 * 2**20)
    op = await lab_console.fleet.run_migration(job)
    assert op.state is OpState.REFUSED
    assert len(job.problems) == 1 and job.problems[0].startswith("lab-b has ")
    assert job.problems[0].endswith(
        f"but {name} needs 64 MiB: free memory there or pick another host."
    )
    assert where(lab, name) == {"lab-a": True}
    assert lab_console.audited[-1].state is OpState.REFUSED

    net = f"{unique_prefix()}net"
    a = lab.hosts["lab-a"].open()
    try:
        a.networkDefineXML(
            f"<network><name>{net}</name><bridge name='lmn{net[-12:-4]}'/></network>"
        )
        xml = tiny_domain_xml(f"{unique_prefix()}wired", nic="none").replace(
            "<devices>", f"<devices><interface type='network'><source network='{net}'/></interface>"
        )
        wired = define_stub(lab, "lab-a", "", start=False, xml=xml)
        wired_row = await row_of(lab_console, "lab-a", wired)
        op = await lab_console.fleet.migrate(wired_row, Migrate("lab-b"))
        assert op.state is OpState.REFUSED
        assert (
            op.error == f"{wired} uses network {net}, which lab-b does not have: define it there."
        )
        assert where(lab, wired) == {"lab-a": False}
    finally:
        a.networkLookupByName(net).undefine()
        a.close()


async def test_offline_migration_moves_the_definition(lab: Lab, lab_console: LabConsole) -> None:
    name = define_stub(lab, "lab-a", "offline", start=False)
    row = await row_of(lab_console, "lab-a", name)
    op = await lab_console.fleet.migrate(row, Migrate("lab-b"))
    assert op.state is OpState.SUCCEEDED, op
    assert "no longer has it on lab-a, defined added on lab-b" in op.note, op.note
    assert where(lab, name) == {"lab-b": False}
    moved = await row_of(lab_console, "lab-b", name)
    assert moved.state is PowerState.SHUTOFF
    await gone_from(lab_console, "lab-a", name, limit=0.5)


async def _fill_memory(guest_shell: SerialShell) -> None:
    """32 MiB of random bytes in the guest's RAM: at 1 MiB/s that is half a minute to send."""
    guest_shell.run("dd if=/dev/urandom of=/tmp/fill bs=1M count=32 2>/dev/null; echo filled", 60)


async def test_abort_midway_leaves_the_guest_running_on_the_source(
    lab: Lab, lab_console: LabConsole, guest: LinuxGuest
) -> None:
    await _fill_memory(guest.shell)
    row = await row_of(lab_console, "lab-a", guest.name)
    with shared_pool(lab, guest.directory):
        job = lab_console.fleet.migration(
            row, Migrate("lab-b", bandwidth_mib_s=1, shared_unseen=True)
        )
        run = asyncio.ensure_future(lab_console.fleet.run_migration(job))
        await progress_seen(job, 2 * 2**20)
        assert job.op.id in lab_console.fleet.migrations
        assert job.op.note.startswith("migrating ")
        await job.abort()
        op = await asyncio.wait_for(run, 60)
    assert op.state is OpState.FAILED
    assert op.error == f"aborted by the operator; {guest.name} is still running on lab-a"
    assert where(lab, guest.name) == {"lab-a": True}
    assert guest.shell.run("echo still-here").strip().endswith("still-here")
    p = job.progress
    assert p is not None and p.transfer_bps > 0 and p.total_bytes >= 128 * 2**20
    assert p.transfer_bps < 4 * 2**20  # the bandwidth limit held


async def test_destination_killed_mid_migration(
    lab: Lab, lab_console: LabConsole, guest: LinuxGuest
) -> None:
    row = await row_of(lab_console, "lab-a", guest.name)
    try:
        with shared_pool(lab, guest.directory):
            job = lab_console.fleet.migration(
                row, Migrate("lab-b", bandwidth_mib_s=1, shared_unseen=True)
            )
            run = asyncio.ensure_future(lab_console.fleet.run_migration(job))
            await progress_seen(job, 2 * 2**20)
            lab.hosts["lab-b"].kill()
            op = await asyncio.wait_for(run, 90)
        assert op.state is OpState.FAILED
        assert op.error.endswith(f"; {guest.name} is still running on lab-a"), op.error
        assert guest.shell.run("echo survived").strip().endswith("survived")
    finally:
        lab.revive("lab-b")
    assert where(lab, guest.name) == {"lab-a": True}


async def test_live_migration_of_a_real_guest_keeps_it_up(
    lab: Lab, lab_console: LabConsole, guest: LinuxGuest
) -> None:
    shell = guest.shell
    shell.run("rm -f /tmp/fill; echo ok")
    # Busy while it moves: a CPU burner and a writer to its own disk.
    shell.run(
        "(while :; do :; done) & (while :; do dd if=/dev/zero of=/dev/vda bs=64k count=64 "
        "conv=fsync 2>/dev/null; done) & echo busy"
    )
    before = float(shell.run("cut -d' ' -f1 /proc/uptime").split()[-1])
    row = await row_of(lab_console, "lab-a", guest.name)
    with shared_pool(lab, guest.directory):
        op = await lab_console.fleet.migrate(row, Migrate("lab-b", shared_unseen=True))
    assert op.state is OpState.SUCCEEDED, op
    assert "stopped migrated on lab-a" in op.note and "resumed migrated on lab-b" in op.note
    assert where(lab, guest.name) == {"lab-b": True}
    moved = await row_of(lab_console, "lab-b", guest.name)
    assert moved.state is PowerState.RUNNING
    await gone_from(lab_console, "lab-a", guest.name, limit=0.5)  # by the events
    there = shell_on(lab, "lab-b", guest.name)
    try:
        there.write("\n")
        after = float(there.run("cut -d' ' -f1 /proc/uptime").split()[-1])
        assert after > before  # the same kernel, still counting: it never rebooted
        assert there.run("kill %1 %2; echo calm").strip().endswith("calm")
    finally:
        there.close()


LOCAL_DISKS = Path("/var/lib/libvirt/limen-local")
"""A folder each lab host has of its own (under its private /var/lib/libvirt): not shared."""


def qcow2_starting_with(data: bytes, path: Path, size: str = "64M") -> None:
    raw = path.with_suffix(".raw")
    raw.write_bytes(data.ljust(1024 * 1024, b"\0"))
    try:
        for argv in (
            ["convert", "-q", "-f", "raw", "-O", "qcow2", str(raw), str(path)],
            ["resize", "-q", "-f", "qcow2", str(path), size],
        ):
            subprocess.run(["qemu-img", *argv], check=True, capture_output=True, timeout=60)
    finally:
        raw.unlink()


def first_block(path: Path) -> bytes:
    """The first 4 KiB of a qcow2 image's guest-visible data."""
    out = path.with_suffix(".head")
    try:
        argv = ["dd", "-f", "qcow2", "-O", "raw", f"if={path}", f"of={out}", "bs=4096", "count=1"]
        subprocess.run(
            ["qemu-img", *argv],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return out.read_bytes()
    finally:
        out.unlink(missing_ok=True)


async def test_copy_storage_moves_a_real_qcow2_disk_to_the_destination(
    lab: Lab, lab_console: LabConsole
) -> None:
    name = f"{unique_prefix()}copydisk"
    here = {k: Path(h.root, "lib", LOCAL_DISKS.name) for k, h in lab.hosts.items()}
    for folder in here.values():
        folder.mkdir(exist_ok=True)
        folder.chmod(0o755)
    # A marker at the start of the disk: only a copy of the data puts it on lab-b.
    marker = f"limen copy-storage {name}".encode()
    disk = here["lab-a"] / f"{name}.qcow2"
    qcow2_starting_with(marker, disk)
    inside = LOCAL_DISKS / disk.name  # the same path inside every host, a different file
    xml = tiny_domain_xml(name, disk_path=str(inside), nic="none")
    try:
        with shared_pool(lab, LOCAL_DISKS):  # a dir pool over each host's own folder
            define_stub(lab, "lab-a", "", start=True, xml=xml)
            row = await row_of(lab_console, "lab-a", name)
            refused = await lab_console.fleet.migrate(row, Migrate("lab-b"))
            assert refused.state is OpState.REFUSED
            assert refused.error == (
                f"disk vda ({inside}) is not on lab-b's storage: choose copy storage, or share "
                "the storage and define a pool over it on lab-b."
            )
            assert not (here["lab-b"] / disk.name).exists()
            started = time.monotonic()
            op = await lab_console.fleet.migrate(row, Migrate("lab-b", copy_storage=True))
            took = time.monotonic() - started
            assert op.state is OpState.SUCCEEDED, op
            assert where(lab, name) == {"lab-b": True}
            conn = lab.hosts["lab-b"].open()
            try:
                root = ET.fromstring(conn.lookupByName(name).XMLDesc(0))
                conn.lookupByName(name).destroy()  # QEMU lets go of the copy before it is read
            finally:
                conn.close()
            source = root.find("./devices/disk/source")
            assert source is not None and source.get("file") == str(inside)
        assert first_block(here["lab-b"] / disk.name).startswith(marker)
        print(f"\ncopy-storage migration of a 64 MiB qcow2 (1 MiB of data) stub: {took:.2f}s")
    finally:
        for folder in here.values():
            for leftover in folder.glob(f"{name}*"):
                leftover.unlink()
