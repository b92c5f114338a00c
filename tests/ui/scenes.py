"""Every screen of the console, set up from one real tick of the demo (pollers off, data
injected, the clock pinned): the snapshot tests and scripts/screenshots.py draw the same scenes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.pilot import Pilot

from limen_tui.fleet.host import Host
from limen_tui.fleet.reads import NewVmChoices
from limen_tui.model.devices import Devices
from limen_tui.model.snapshot import SnapshotInfo
from limen_tui.ui.app import LimenApp
from limen_tui.ui.screens.create_vm import CreateVmScreen
from limen_tui.ui.screens.serial_console import SerialConsoleScreen
from limen_tui.ui.screens.snapshots import SnapshotScreen
from limen_tui.ui.screens.vm_screen import VmScreen
from limen_tui.ui.widgets.vm_table import VmTable

from .helpers import FIXED_TIME, burst, inject, still_host

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
    app.push_screen(VmScreen(_row(app, "web-02"), SceneHost.make()))
    await pilot.pause(0.3)


async def snapshots(pilot: Pilot[Any]) -> None:
    await loaded(pilot)
    app = _app(pilot)
    app.push_screen(SnapshotScreen(_row(app, "web-02"), SceneHost.make(), lambda _a, _p: None))
    await pilot.pause(0.3)


async def create_form(pilot: Pilot[Any]) -> None:
    await loaded(pilot)
    app = _app(pilot)
    app.push_screen(CreateVmScreen(SceneHost.make()))
    await pilot.pause(0.3)
    await burst(pilot, *"web-05")


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
    "hosts": hosts,
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
