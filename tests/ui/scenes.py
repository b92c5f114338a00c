"""Every screen of the console, set up from one real tick of the demo (pollers off, data
injected, the clock pinned): the snapshot tests and scripts/screenshots.py draw the same scenes."""

from __future__ import annotations

import math
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import replace
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, TabbedContent

from limen_tui.fleet.host import Host
from limen_tui.fleet.operations import Operation, OpState
from limen_tui.fleet.reads import NewVmChoices
from limen_tui.logs.lines import Batch
from limen_tui.model import DomainEvent
from limen_tui.model.addresses import GuestAddress, GuestAddresses
from limen_tui.model.devices import Devices
from limen_tui.model.guest_info import GuestFilesystem, GuestInfo, GuestUser
from limen_tui.model.snapshot import SnapshotInfo
from limen_tui.model.vm_figures import (
    BalloonCounters,
    DiskCounters,
    NicCounters,
    VcpuCounters,
    VmSample,
)
from limen_tui.ui.app import LimenApp
from limen_tui.ui.screens.create_vm import CreateVmScreen
from limen_tui.ui.screens.serial_console import SerialConsoleScreen
from limen_tui.ui.screens.snapshots import SnapshotScreen
from limen_tui.ui.screens.vm_screen import VmScreen
from limen_tui.ui.widgets.vm_table import VmTable

from .helpers import FIXED_TIME, burst, inject, still_host, wait_for

Scene = Callable[[Pilot[Any]], Awaitable[None]]

DEVICES = Devices(
    disks=[
        "vda: /srv/vm-disks/web-02-root.qcow2 (qcow2)",
        "vdb: /srv/vm-disks/web-02-data.raw (raw)",
        "sda: /srv/iso/debian-12.iso (cdrom)",
    ],
    nics=["52:54:00:2a:52:fe: network default (virtio)", "52:54:00:2a:52:ff: bridge br0 (e1000)"],
    graphics=["vnc 127.0.0.1:5901", "spice 127.0.0.1:5902"],
    description="front web server, behind the load balancer",
    displays=[("vnc", "127.0.0.1", 5901), ("spice", "127.0.0.1", 5902)],
)
SNAPSHOTS = [
    SnapshotInfo(
        "installed",
        None,
        ("before-upgrade",),
        False,
        FIXED_TIME - 86400,
        "shutoff",
        "fresh install",
        False,
        0,
    ),
    SnapshotInfo(
        "before-upgrade",
        "installed",
        (),
        True,
        FIXED_TIME - 3600,
        "running",
        "before apt full-upgrade",
        True,
        1,
    ),
]


VM_XML = """<domain type='qemu'>
  <name>web-02</name>
  <description>front web server, behind the load balancer</description>
  <memory unit='KiB'>2097152</memory>
  <vcpu placement='static'>2</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/srv/vm-disks/web-02-root.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='/srv/vm-disks/web-02-data.raw'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:2a:52:fe'/>
      <source network='default'/>
      <target dev='vnet0'/>
      <model type='virtio'/>
    </interface>
    <interface type='bridge'>
      <mac address='52:54:00:2a:52:ff'/>
      <source bridge='br0'/>
      <target dev='vnet1'/>
      <model type='e1000'/>
    </interface>
    <graphics type='vnc' port='5901' listen='127.0.0.1'/>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
  </devices>
</domain>
"""


def vm_sample(k: int) -> VmSample:
    """The k-th reading of web-02's counters, 2 s apart, every counter moving steadily."""
    g = 1024**3
    return VmSample(
        at=2.0 * k,
        cpu_time_ns=10**12 + k * 1_300_000_000,
        vcpus=tuple(
            VcpuCounters(
                i, (6 - i) * 10**11 + k * (1000 - 300 * i) * 10**6, 0, k * 4 * 10**6 // (i + 1)
            )
            for i in range(4)
        ),
        disks=(
            DiskCounters(
                "vda",
                "/srv/vm-disks/web-02-root.qcow2",
                rd_bytes=k * 4 * 1024**2,
                wr_bytes=k * 1024**2,
                rd_reqs=k * 120,
                wr_reqs=k * 40,
                rd_times_ns=k * 120 * 800_000,
                wr_times_ns=k * 40 * 2_500_000,
                errors=0,
                capacity=20 * g,
                allocation=7 * g,
                physical=7 * g + 1024**2,
            ),
            DiskCounters(
                "vdb",
                "/srv/vm-disks/web-02-data.raw",
                rd_bytes=0,
                wr_bytes=k * 256 * 1024,
                rd_reqs=0,
                wr_reqs=k * 8,
                rd_times_ns=0,
                wr_times_ns=k * 8 * 1_000_000,
                capacity=50 * g,
                allocation=50 * g,
                physical=50 * g,
            ),
        ),
        nics=(
            NicCounters(
                "vnet0",
                "52:54:00:2a:52:fe",
                k * 600_000,
                k * 900,
                0,
                0,
                k * 2_400_000,
                k * 1800,
                0,
                2,
            ),
            NicCounters("vnet1", "52:54:00:2a:52:ff", k * 1000, k * 10, 0, 0, 0, 0, 0, 0),
        ),
        balloon=BalloonCounters(
            current=2097152,
            maximum=2097152,
            rss=1_400_000,
            usable=900_000,
            available=2_000_000,
            unused=600_000,
            disk_caches=300_000,
            swap_in=0,
            swap_out=0,
            major_fault=312,
            minor_fault=90_000,
        ),
    )


GUEST = GuestInfo(
    answered=True,
    os_name="Debian GNU/Linux 12 (bookworm)",
    os_version="12 (bookworm)",
    kernel="6.1.0-27-cloud-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1",
    machine="x86_64",
    hostname="web-02",
    timezone="UTC",
    timezone_offset_s=0,
    users=(GuestUser("root", "", FIXED_TIME - 7200),),
    filesystems=(
        GuestFilesystem("/", "vda1", "ext4", 20 * 1024**3, 7 * 1024**3),
        GuestFilesystem("/var/log", "vda2", "ext4", 2 * 1024**3, int(1.9 * 1024**3)),
    ),
)
ADDRESSES = GuestAddresses(
    (GuestAddress("192.168.122.42", 24, "eth0", "52:54:00:2a:52:fe", "agent"),),
)


def history(metric: str, seconds: float) -> list[tuple[float, float]]:
    """A sample every 2 s (the refresh interval) for the last 40 minutes (the console ran
    for 40 minutes of the hour), a slow wave per metric."""
    now = time.time()
    scale = {"cpu": 40.0, "mem": 900_000.0, "disk": 5e6, "net": 3e6}[metric]
    return [
        (now - 1 - 2 * k, scale * (1.2 + math.sin(k / 100 + len(metric))) / 2.2)
        for k in reversed(range(1200))
        if 1 + 2 * k <= seconds
    ]


class SceneHost:
    """The demo host as one tick left it, answering reads with fixed values."""

    @staticmethod
    def make() -> Host:
        from .test_screen_pictures import fixed_health

        host = still_host(fixed_health())

        async def devices(_uuid: str) -> Devices:
            return DEVICES

        async def cpu_history(_uuid: str, points: int = 40) -> list[float]:
            return [float((i * 7) % 60 + 5) for i in range(points)]

        async def snapshot_tree(_uuid: str) -> list[SnapshotInfo]:
            return SNAPSHOTS

        async def new_vm_choices() -> NewVmChoices:
            return NewVmChoices(["default", "fast-ssd"], ["default"])

        readings = iter(range(1, 10**6))

        async def sample(_uuid: str, _macs: object = None) -> VmSample:
            return vm_sample(next(readings))

        async def guest_info(_uuid: str) -> GuestInfo:
            return GUEST

        async def addresses(_uuid: str) -> GuestAddresses:
            return ADDRESSES

        async def domain_xml(_uuid: str) -> str:
            return VM_XML

        async def figure_history(_uuid: str, metric: str, seconds: float) -> Any:
            return history(metric, seconds)

        def qemu_log(_name: str) -> Any:
            async def lines() -> AsyncGenerator[Batch, None]:
                yield Batch(
                    [
                        "2026-11-22 09:00:00.000+0000: starting up libvirt version: 9.0.0",
                        "LC_ALL=C PATH=/usr/bin HOME=/var/lib/libvirt/qemu/domain-3-web-02 \\",
                        "/usr/bin/qemu-system-x86_64 -name guest=web-02 -machine pc -m 2048",
                        "char device redirected to /dev/pts/3 (label charserial0)",
                    ]
                )

            async def open_it() -> tuple[AsyncGenerator[Batch, None], str]:
                return lines(), "following /var/log/libvirt/qemu/web-02.log"

            return open_it

        host.vm_sample = sample  # type: ignore[method-assign,assignment]
        host.guest_info = guest_info  # type: ignore[method-assign,assignment]
        host.addresses = addresses  # type: ignore[method-assign,assignment]
        host.domain_xml = domain_xml  # type: ignore[method-assign,assignment]
        host.figure_history = figure_history  # type: ignore[method-assign,assignment]
        host.qemu_log = qemu_log  # type: ignore[method-assign,assignment]
        host.devices = devices  # type: ignore[method-assign,assignment]
        host.cpu_history = cpu_history  # type: ignore[method-assign,assignment]
        host.snapshot_tree = snapshot_tree  # type: ignore[method-assign,assignment]
        host.new_vm_choices = new_vm_choices  # type: ignore[method-assign]
        return host


def _app(pilot: Pilot[Any]) -> LimenApp:
    app = pilot.app
    assert isinstance(app, LimenApp)
    return app


async def loaded(pilot: Pilot[Any]) -> None:
    await inject(_app(pilot))
    await pilot.pause()


def _row(app: LimenApp, name: str) -> Any:
    return next(r for r in app.query_one(VmTable).rows_by_key.values() if r.name == name)


async def vm_screen(pilot: Pilot[Any]) -> None:
    await loaded(pilot)
    app = _app(pilot)
    row = _row(app, "web-02")
    host = SceneHost.make()
    host.recent.event(
        DomainEvent(FIXED_TIME - 600, "demo", row.uuid, row.name, "lifecycle", "started", "booted")
    )
    op = Operation.new("demo", row.uuid, row.name, "reboot")
    host.recent.operation(
        replace(
            op,
            started_at=FIXED_TIME - 300,
            finished_at=FIXED_TIME - 288,
            state=OpState.NOT_CONFIRMED,
            note="the guest did not say it rebooted",
        )
    )
    screen = VmScreen(row, host, refresh_s=3600)
    app.push_screen(screen)
    await pilot.pause(0.3)
    screen.action_reload()  # the second reading: the rates are there
    await pilot.pause(0.3)


async def _vm_screen_tab(pilot: Pilot[Any], key: str, tab: str) -> None:
    await vm_screen(pilot)
    await burst(pilot, key)
    tabs = pilot.app.screen.query_one("#vm-tabs", TabbedContent)
    await wait_for(lambda: tabs.active == tab)
    await pilot.pause()


async def vm_screen_graphs(pilot: Pilot[Any]) -> None:
    await _vm_screen_tab(pilot, "2", "graphs")


async def vm_screen_guest(pilot: Pilot[Any]) -> None:
    await _vm_screen_tab(pilot, "3", "guest")


async def noisy_neighbours(pilot: Pilot[Any]) -> None:
    from limen_tui.fleet.demo_activity import DemoActivity
    from limen_tui.ui.screens.noisy import NoisyScreen

    from .test_screen_pictures import fixed_health

    await loaded(pilot)
    host = still_host(fixed_health())
    rows = list(host.book.rows.values())
    figures = {r.uuid: r for r in DemoActivity().counters(rows, at=100.0)}
    host.book.adopt(figures.get(r.uuid, r) for r in rows)
    _app(pilot).push_screen(NoisyScreen({"demo": host}))
    await pilot.pause(0.3)


async def vm_screen_events(pilot: Pilot[Any]) -> None:
    await _vm_screen_tab(pilot, "6", "recent")


async def snapshots(pilot: Pilot[Any]) -> None:
    await loaded(pilot)
    app = _app(pilot)
    app.push_screen(SnapshotScreen(_row(app, "web-02"), SceneHost.make(), lambda _a, _p: None))
    await pilot.pause(0.3)


async def create_form(pilot: Pilot[Any]) -> None:
    await loaded(pilot)
    app = _app(pilot)
    screen = CreateVmScreen(SceneHost.make())
    app.push_screen(screen)
    await pilot.pause(0.3)
    await burst(pilot, *"web-05")
    await wait_for(lambda: "web-05" in [i.value for i in screen.query(Input)])
    await pilot.pause()


async def serial_console(pilot: Pilot[Any]) -> None:
    await loaded(pilot)
    app = _app(pilot)
    console = SerialConsoleScreen(_row(app, "web-02"), SceneHost.make())
    app.push_screen(console)
    await pilot.pause()
    console.terminal.feed(
        b"Debian GNU/Linux 12 web-02 ttyS0\r\n\r\nweb-02 login: root\r\nPassword: \r\n"
        b"root@web-02:~# uptime\r\n 10:00:00 up 12 days,  5:00,  1 user,  load average: 0.31\r\n"
        b"root@web-02:~# "
        + b"journalctl -f\r\n"
        + b"".join(
            f"Nov 22 10:00:{i:02d} web-02 nginx[811]: GET /health 200\r\n".encode()
            for i in range(40)
        )
    )
    console._console_ended("attached")
    await pilot.pause(0.2)


async def command_completion(pilot: Pilot[Any]) -> None:
    await loaded(pilot)
    await burst(pilot, "colon", *"shutdown web", "tab")
    await pilot.pause()


async def bulk_confirmation(pilot: Pilot[Any]) -> None:
    await loaded(pilot)
    await burst(pilot, "asterisk", "h")
    await pilot.pause()


async def help_screen(pilot: Pilot[Any]) -> None:
    await loaded(pilot)
    await burst(pilot, "question_mark")
    await pilot.pause()


async def action_menu(pilot: Pilot[Any]) -> None:
    await loaded(pilot)
    await burst(pilot, "enter")
    await pilot.pause()


async def hosts(pilot: Pilot[Any]) -> None:
    from limen_tui.ui.screens.hosts import HostsScreen

    from .test_screen_pictures import fixed_health

    await loaded(pilot)
    update = fixed_health()
    app = _app(pilot)
    app.publish(update)
    app.push_screen(HostsScreen({"demo": still_host(update)}))
    await pilot.pause(0.3)


async def logs(pilot: Pilot[Any]) -> None:
    from .test_screen_pictures import _log_screen

    await _log_screen(pilot)


async def pools(pilot: Pilot[Any]) -> None:
    from limen_tui.ui.screens.pools import PoolsScreen

    from .storage_host import StillStorageHost

    await loaded(pilot)
    screen = PoolsScreen(StillStorageHost())
    _app(pilot).push_screen(screen)
    await wait_for(lambda: bool(screen.pools))
    await pilot.pause(0.3)


async def volumes(pilot: Pilot[Any]) -> None:
    from limen_tui.ui.screens.volumes import VolumesScreen

    await pools(pilot)
    await pilot.press("down", "down", "enter")  # vm-disks: its volumes are the VMs' disks
    screen = _app(pilot).screen
    assert isinstance(screen, VolumesScreen)
    await wait_for(lambda: bool(screen.volumes))
    await pilot.pause(0.3)


async def networks(pilot: Pilot[Any]) -> None:
    from limen_tui.ui.screens.networks import NetworksScreen

    from .storage_host import StillStorageHost

    await loaded(pilot)
    screen = NetworksScreen(StillStorageHost())
    _app(pilot).push_screen(screen)
    await wait_for(lambda: bool(screen.nets) and bool(screen.leases))
    await pilot.pause(0.3)


def _migration_hosts() -> tuple[Host, Host]:
    """The demo host as source, and a second still host "hv2" as destination (never run)."""
    from dataclasses import replace

    from .helpers import StillHost

    source = SceneHost.make()
    assert isinstance(source, StillHost)
    dest = StillHost(replace(source.status, key="hv2"), source._fixed)
    return source, dest


async def migrate_dialog(pilot: Pilot[Any]) -> None:
    """The dialog with fixed check sentences (no second host runs for a picture)."""
    from limen_tui.model.action_params import Migrate
    from limen_tui.ui.screens.migrate_dialog import MigrateDialog

    await loaded(pilot)
    app = _app(pilot)

    async def checks(params: Migrate) -> list[str]:
        if params.copy_storage:
            return []
        return [
            "disk vda (/srv/vm-disks/web-02-root.qcow2) is not on hv2's storage: choose copy "
            "storage, or share the storage and define a pool over it on hv2.",
            "web-02 uses network default, which hv2 does not have: define it there.",
        ]

    app.push_screen(MigrateDialog(_row(app, "web-02"), ["hv2", "hv3"], "hv2", checks))
    await pilot.pause(0.3)


def fixed_migration(app: LimenApp) -> Any:
    """A migration of web-02 to hv2 with fixed figures, as three job stats samples left it:
    a guest dirtying memory faster than it is sent (never run: the figures are made up)."""
    from dataclasses import replace

    from limen_tui.fleet.migration import Migration
    from limen_tui.fleet.migration_progress import JobProgress
    from limen_tui.model.action_params import Migrate

    source, dest = _migration_hosts()
    job = Migration(source, dest, _row(app, "web-02"), Migrate("hv2", bandwidth_mib_s=100))
    mib = 2**20
    for i in (2, 3, 4):
        sample = JobProgress(
            elapsed_s=40.0 + i * 6,
            processed_bytes=(1700 + i * 200) * mib,
            remaining_bytes=(700 - i * 25) * mib,
            total_bytes=2048 * mib,
            transfer_bps=100.0 * mib,
            dirty_bps=(120.0 + i) * mib,
            iteration=i,
            expected_downtime_ms=1840,
        )
        job.watch.feed(sample)
        job.progress = sample
    assert job.progress is not None
    job.op = job.op.running()
    job.op = replace(job.op, note=job.progress.summary())
    return job


async def migration_view(pilot: Pilot[Any]) -> None:
    from limen_tui.ui.screens.migration_view import MigrationScreen

    await loaded(pilot)
    app = _app(pilot)
    app.push_screen(MigrationScreen(fixed_migration(app)))
    await pilot.pause(0.3)


async def evacuation(pilot: Pilot[Any]) -> None:
    """The plan of the demo host onto hv2 and hv3, with fixed capacities (never run)."""
    from limen_tui.fleet.evacuation import HostCapacity, VmLoad, plan_evacuation
    from limen_tui.ui.screens.evacuate import EvacuationScreen

    await loaded(pilot)
    app = _app(pilot)
    rows = sorted(app.query_one(VmTable).rows_by_key.values(), key=lambda r: r.name)
    vms = [
        VmLoad(r.uuid, r.name, (r.mem_max_kib or 0) * 1024, r.vcpus or 1)
        for r in rows
        if r.state.is_active
    ]
    gib = 2**30
    plan = plan_evacuation(
        "demo", vms, [HostCapacity("hv2", 9 * gib, 8, 4), HostCapacity("hv3", 5 * gib, 4, 14)]
    )

    async def make_plan() -> Any:
        return plan

    app.push_screen(EvacuationScreen("demo", make_plan, lambda _p: None, lambda _u: None))
    await pilot.pause(0.3)


SCENES: dict[str, Scene] = {
    "main": loaded,
    "vm-screen": vm_screen,
    "vm-screen-graphs": vm_screen_graphs,
    "vm-screen-guest": vm_screen_guest,
    "vm-screen-events": vm_screen_events,
    "hosts": hosts,
    "pools": pools,
    "volumes": volumes,
    "networks": networks,
    "noisy-neighbours": noisy_neighbours,
    "logs": logs,
    "serial-console": serial_console,
    "snapshots": snapshots,
    "create": create_form,
    "command-line": command_completion,
    "help": help_screen,
    "bulk-confirmation": bulk_confirmation,
    "action-menu": action_menu,
    "migrate-dialog": migrate_dialog,
    "migration": migration_view,
    "evacuation": evacuation,
}
"""Name -> how to get there, in the order the README shows them."""
