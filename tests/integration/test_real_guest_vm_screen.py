"""The VM screen's figures on a real Linux guest, checked as an operator would: against virsh.

One guest (2 vCPUs, a qcow2 and a raw disk, two tap NICs, a real qemu-guest-agent) works over
its serial port while the fleet's `Host.vm_sample` (one `domainListGetStats` for that VM, in
the host's workers) and ``virsh domstats --raw`` are read at the start and end of the same
interval. Every per-vCPU, per-disk and per-NIC figure must be within 10% of virsh's; sizes are
``virsh domblkinfo``'s, the agent's answer ``virsh guestinfo``'s.
"""

from __future__ import annotations

import asyncio
import io
import re
import subprocess
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from rich.console import Console
from textual.widgets import Static

from limen_tui.config.settings import Settings
from limen_tui.fleet.host import Host
from limen_tui.fleet.operations import Operation, OpState
from limen_tui.model import LinkState
from limen_tui.model.guest_info import GuestInfo
from limen_tui.model.vm_figures import VmFigures, figures_between
from limen_tui.store.cache import Cache
from limen_tui.ui.screens.vm_screen import VmScreen
from tests.conftest import MakeLinuxGuest
from tests.harness.domstats import DomStats, Value, deviation, virsh_domstats
from tests.harness.linux_guest import LinuxGuest
from tests.ui.helpers import injected_app, wait_for

INTERVAL = 5.0
"""Seconds between the two readings: the edges (a virsh run, a stats call) stay under 1%."""
TOLERANCE = 0.10
AGENT_WAIT_S = 30.0


@pytest.fixture(scope="module")
def guest(linux_guests: MakeLinuxGuest) -> LinuxGuest:
    return linux_guests("vmscreen", disks=("qcow2", "raw"), nics=2, vcpus=2)


@pytest.fixture(scope="module")
def full_filesystem(guest: LinuxGuest) -> str:
    """An ext2 filesystem on vdb, mounted in the guest and filled to the brim (as root, so
    the reserved blocks too): what the agent reports and the screen must warn of."""
    mount = "/mnt/data"
    guest.shell.run(
        f"grep -q ' {mount} ' /proc/mounts || {{ mke2fs -q /dev/vdb >/dev/null 2>&1; "
        f"mkdir -p {mount}; mount -t ext2 /dev/vdb {mount}; "
        f"dd if=/dev/zero of={mount}/fill bs=1M count=80 >/dev/null 2>&1; sync; }}"
    )
    return mount


@pytest.fixture
async def host(libvirtd: str, guest: LinuxGuest) -> AsyncIterator[Host]:
    with Cache() as cache:  # the test's private XDG cache folder
        host = Host(libvirtd, settings=Settings(refresh_interval=600), cache=cache)
        host.start()
        try:
            await wait_for(lambda: host.status.state is LinkState.LIVE and bool(host.rows), 30)
            yield host
        finally:
            await host.stop()


@pytest.fixture
def load(guest: LinuxGuest) -> Iterator[None]:
    yield
    guest.shell.run("kill $(cat /tmp/load.pids) 2>/dev/null; killall dd ping 2>/dev/null; true")
    guest.shell.run("rm -f /tmp/load.pids")


def start_load(guest: LinuxGuest, *loops: str) -> None:
    for body in loops:
        guest.shell.run(f"( while :; do {body}; done ) >/dev/null 2>&1 & echo $! >> /tmp/load.pids")


async def measure(
    host: Host, libvirtd: str, guest: LinuxGuest
) -> tuple[VmFigures, DomStats, DomStats]:
    uuid = guest.dom.UUIDString()
    before = virsh_domstats(libvirtd, [guest.name])
    first = await host.vm_sample(uuid)
    time.sleep(INTERVAL)  # the interval being measured  # noqa: ASYNC251
    after = virsh_domstats(libvirtd, [guest.name])
    second = await host.vm_sample(uuid)
    return figures_between(first, second), before, after


def virsh_rate(before: DomStats, after: DomStats, name: str, key: str) -> float:
    a, b = before.of(name)[key], after.of(name)[key]
    assert isinstance(a, int) and isinstance(b, int), key
    return (b - a) / (after.at - before.at)


def index_of(stats: dict[str, Value], group: str, name: str) -> int:
    count = stats[f"{group}.count"]
    assert isinstance(count, int)
    return next(i for i in range(count) if stats.get(f"{group}.{i}.name") == name)


def check(figures: dict[str, tuple[float | None, float]], floor: float) -> None:
    lines = [
        f"{name}: console {'n/a' if ours is None else f'{ours:.2f}'}, virsh {theirs:.2f}, "
        f"off by {deviation(ours, theirs):.1%}"
        for name, (ours, theirs) in figures.items()
    ]
    report = "\n".join(lines)
    print(report)  # shown with -rP: the measured figures
    assert all(theirs >= floor for _, theirs in figures.values()), f"too little load:\n{report}"
    assert all(deviation(ours, theirs) <= TOLERANCE for ours, theirs in figures.values()), report


async def test_per_disk_bytes_iops_and_latency_are_virshs(
    libvirtd: str, host: Host, guest: LinuxGuest, load: None
) -> None:
    start_load(
        guest,
        "dd if=/dev/zero of=/dev/vda bs=64k count=256 oflag=direct",
        "dd if=/dev/vdb of=/dev/null bs=16k count=1024 iflag=direct",
    )
    figures, before, after = await measure(host, libvirtd, guest)
    disks = {d.counters.name: d for d in figures.disks}
    assert sorted(disks) == ["vda", "vdb"]
    stats = after.of(guest.name)
    vda, vdb = (f"block.{index_of(stats, 'block', n)}" for n in ("vda", "vdb"))

    def ref(key: str) -> float:
        return virsh_rate(before, after, guest.name, key)

    def latency(prefix: str, op: str) -> float:
        reqs = ref(f"{prefix}.{op}.reqs")
        return ref(f"{prefix}.{op}.times") / reqs / 1e6

    check(
        {
            "vda write B/s": (disks["vda"].wr_bps, ref(f"{vda}.wr.bytes")),
            "vda write IOPS": (disks["vda"].wr_iops, ref(f"{vda}.wr.reqs")),
            "vdb read B/s": (disks["vdb"].rd_bps, ref(f"{vdb}.rd.bytes")),
            "vdb read IOPS": (disks["vdb"].rd_iops, ref(f"{vdb}.rd.reqs")),
        },
        floor=5,
    )
    # Latency is a ratio of two deltas: each is exact, their quotient a little less so.
    check(
        {
            "vda write ms": (disks["vda"].wr_latency_ms, latency(vda, "wr")),
            "vdb read ms": (disks["vdb"].rd_latency_ms, latency(vdb, "rd")),
        },
        floor=0.0,
    )
    assert disks["vda"].rd_bps is not None and disks["vdb"].wr_bps is not None


async def test_per_nic_bytes_and_packets_are_virshs(
    libvirtd: str, host: Host, guest: LinuxGuest, load: None
) -> None:
    start_load(guest, f"ping -A -q -s 1200 {guest.nics[1].host_ip}")  # the second NIC only
    figures, before, after = await measure(host, libvirtd, guest)
    nics = {n.counters.name: n for n in figures.nics}
    stats = after.of(guest.name)
    busy, idle = guest.nics[1].tap, guest.nics[0].tap
    i = index_of(stats, "net", busy)

    def ref(key: str) -> float:
        return virsh_rate(before, after, guest.name, f"net.{i}.{key}")

    check(
        {
            f"{busy} rx B/s": (nics[busy].rx_bps, ref("rx.bytes")),
            f"{busy} tx B/s": (nics[busy].tx_bps, ref("tx.bytes")),
            f"{busy} rx pkt/s": (nics[busy].rx_pps, ref("rx.pkts")),
            f"{busy} tx pkt/s": (nics[busy].tx_pps, ref("tx.pkts")),
        },
        floor=10,
    )
    assert (nics[idle].tx_bps or 0) < (nics[busy].tx_bps or 0) / 10, "the NICs were kept apart"
    assert {n.counters.name: n.counters.mac for n in figures.nics} == {
        nic.tap: nic.mac for nic in guest.nics
    }


async def test_per_vcpu_time_is_virshs(
    libvirtd: str, host: Host, guest: LinuxGuest, load: None
) -> None:
    start_load(guest, ":")
    figures, before, after = await measure(host, libvirtd, guest)
    assert [v.counters.index for v in figures.vcpus] == [0, 1]
    pairs = {
        f"vCPU {v.counters.index} busy %": (
            v.busy_pct,
            virsh_rate(before, after, guest.name, f"vcpu.{v.counters.index}.time") / 1e7,
        )
        for v in figures.vcpus
    }
    busiest = max(pairs, key=lambda k: pairs[k][1])
    check({busiest: pairs[busiest]}, floor=20)  # the burn loop keeps one vCPU busy
    for v in figures.vcpus:
        if v.counters.delay_ns is not None:  # the driver reports steal: so do we
            assert v.delay_pct is not None


def domblkinfo(uri: str, name: str) -> dict[str, tuple[int, int, int]]:
    out = subprocess.run(
        ["virsh", "-c", uri, "domblkinfo", name, "--all"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    sizes: dict[str, tuple[int, int, int]] = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", line)
        if m:
            sizes[m.group(1)] = (int(m.group(2)), int(m.group(3)), int(m.group(4)))
    return sizes


async def test_disk_sizes_are_domblkinfos(libvirtd: str, host: Host, guest: LinuxGuest) -> None:
    sample = await host.vm_sample(guest.dom.UUIDString())
    theirs = domblkinfo(libvirtd, guest.name)
    ours = {d.name: (d.capacity, d.allocation, d.physical) for d in sample.disks}
    assert ours == theirs


def virsh_guestinfo(uri: str, name: str) -> dict[str, str]:
    proc = subprocess.run(
        ["virsh", "-c", uri, "guestinfo", name],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    info: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            info[key.strip()] = value.strip()
    return info


async def agent_answer(host: Host, guest: LinuxGuest, answered: bool) -> GuestInfo:
    """libvirt notices an agent come or go through its port's state: ask until it has."""
    deadline = time.monotonic() + AGENT_WAIT_S
    while True:
        info = await host.guest_info(guest.dom.UUIDString())
        if info.answered is answered or time.monotonic() > deadline:
            return info
        await asyncio.sleep(0.5)  # between two asks of a bounded wait


async def test_guest_agent_data_is_virsh_guestinfo(
    libvirtd: str, host: Host, guest: LinuxGuest, full_filesystem: str
) -> None:
    info = await agent_answer(host, guest, True)
    assert info.answered, info.reason
    theirs = virsh_guestinfo(libvirtd, guest.name)
    print(theirs)
    assert info.hostname == theirs.get("hostname", "")
    assert len(info.users) == int(theirs.get("user.count", "0"))
    assert len(info.filesystems) == int(theirs.get("fs.count", "0"))
    for i, fs in enumerate(info.filesystems):
        assert fs.mountpoint == theirs[f"fs.{i}.mountpoint"]
        assert fs.fstype == theirs.get(f"fs.{i}.fstype", "")
        if f"fs.{i}.total-bytes" in theirs:
            assert fs.total_bytes == int(theirs[f"fs.{i}.total-bytes"])
    assert info.timezone == theirs.get("timezone.name", "")
    assert info.kernel.startswith(theirs["os.kernel-release"])
    data = next(fs for fs in info.filesystems if fs.mountpoint == full_filesystem)
    assert data.fstype == "ext2" and data.full, data  # filled: a health warning
    assert info.full_filesystems == (data,)


async def test_with_the_agent_stopped_the_screen_says_it_is_not_answering(
    host: Host, guest: LinuxGuest
) -> None:
    guest.shell.run("kill $(cat /run/qemu-ga.pid) 2>/dev/null; rm -f /run/qemu-ga.pid; true")
    try:
        info = await agent_answer(host, guest, False)
        assert not info.answered
        assert info.reason.startswith("guest agent not answering"), info.reason
    finally:
        guest.shell.run("[ -e /run/qemu-ga.pid ] || start-agent")
    assert (await agent_answer(host, guest, True)).answered, "the agent did not come back"


def shown(widget: Static, width: int = 120) -> str:
    """What a Static shows, as plain text."""
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


async def test_the_vm_screen_shows_each_disk_nic_and_what_the_agent_said(
    libvirtd: str, host: Host, guest: LinuxGuest, load: None, full_filesystem: str
) -> None:
    start_load(guest, "dd if=/dev/zero of=/dev/vda bs=64k count=64 oflag=direct")
    await agent_answer(host, guest, True)
    theirs = virsh_guestinfo(libvirtd, guest.name)
    row = next(r for r in host.rows.values() if r.name == guest.name)
    app = injected_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = VmScreen(row, host, refresh_s=1.0)
        app.push_screen(screen)
        # Rates need two readings that both have the disk: on a loaded machine the first
        # reading of a guest may come before its disks' counters do.
        await wait_for(
            lambda: (
                screen.figures is not None
                and screen.figures.seconds is not None
                and all(d.wr_bps is not None for d in screen.figures.disks)
                and screen.guest is not None
                and screen.guest.answered
                and screen.addresses is not None  # the guest's pane is drawn with both
            ),
            30,
        )
        await pilot.pause()
        figures = shown(screen.query_one("#vm-facts", Static))
        for nic in guest.nics:
            assert nic.tap in figures and nic.mac in figures
        assert re.search(r"^\s*vda\s+\S+\s+\S+[KMG]\s", figures, re.M), figures  # writing
        assert re.search(r"^\s*vdb\s", figures, re.M), figures
        await pilot.press("3")
        await pilot.pause()
        said = shown(screen.query_one("#vm-guest-body", Static))
        assert theirs["os.kernel-release"] in said, said
        assert guest.nics[0].guest_ip in said, said
        assert f"health warning: {full_filesystem} at or above 90% full" in said, said
        await pilot.press("4", *"vdb")
        await pilot.pause()
        assert screen.matches, "the XML search found the second disk"
        for action in ("pause", "resume"):  # confirmed by libvirt's events, as the keys do
            done = await host.perform(Operation.new(host.key, row.uuid, row.name, action))
            assert done.state is OpState.SUCCEEDED, done
        await pilot.press("escape")  # out of the search box
        await pilot.press("6")
        await wait_for(lambda: len(host.recent.of(row.uuid)) >= 4, 10)
        await pilot.pause(1.5)  # the tab follows the host's lines each second
        recent = shown(screen.query_one("#vm-recent-body", Static))
        for line in ("event lifecycle suspended", "pause succeeded", "resume succeeded"):
            assert line in recent, recent


async def test_a_reading_is_one_vms_worth_of_calls(host: Host, guest: LinuxGuest) -> None:
    """Per refresh of the VM screen: the VM's lookup, one stats call for it alone and one
    blockInfo per disk (its XML comes from the cache), however many VMs the host has."""
    uuid = guest.dom.UUIDString()
    await host.vm_sample(uuid)  # the XML into the cache
    before = host.calls.tally()
    started = time.perf_counter()
    readings = 10
    for _ in range(readings):
        await host.vm_sample(uuid)
    ms = (time.perf_counter() - started) * 1000 / readings
    made = {k: v - before.get(k, 0) for k, v in host.calls.tally().items()}
    made = {k: v // readings for k, v in made.items() if v}
    print(f"one VM screen reading: {ms:.1f} ms, calls {made}, VMs on the host {len(host.rows)}")
    assert made == {
        "lookupByUUIDString": 1,
        "domainListGetStats (VM screen)": 1,
        "blockInfo (VM screen)": 2,
    }


def virsh_domifaddr(uri: str, name: str) -> set[tuple[str, str, int]]:
    """(MAC, address, prefix) of every address ``virsh domifaddr --source agent --full``
    lists, loopback and IPv6 link-local left out as the console leaves them out."""
    out = subprocess.run(
        ["virsh", "-c", uri, "domifaddr", name, "--source", "agent", "--full"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    found = set()
    for line in out.splitlines():
        m = re.match(r"\s*\S+\s+([0-9a-f:]{17})\s+ipv[46]\s+(\S+)/(\d+)\s*$", line)
        if m and not m.group(2).startswith(("127.", "::1", "fe80:")):
            found.add((m.group(1), m.group(2), int(m.group(3))))
    return found


async def test_the_screens_addresses_are_virsh_domifaddrs(
    libvirtd: str, host: Host, guest: LinuxGuest
) -> None:
    await agent_answer(host, guest, True)
    found = await host.addresses(guest.dom.UUIDString())
    assert found.source == "agent", found
    ours = {(a.mac, a.address, a.prefix) for a in found.addresses}
    assert ours == virsh_domifaddr(libvirtd, guest.name)
    assert {ip for _mac, ip, _p in ours} == {nic.guest_ip for nic in guest.nics}
