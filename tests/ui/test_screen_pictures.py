"""Snapshots of the main screen on the demo fleet: pollers off, one real tick injected."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
from textual.pilot import Pilot

from .helpers import inject, injected_app


@pytest.fixture(autouse=True)
def _utc() -> Any:
    # The event log prints local clock times; pin the zone so the picture does not move.
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


async def _loaded(pilot: Pilot[None]) -> None:
    await inject(pilot.app)  # type: ignore[arg-type]
    await pilot.pause()


async def _filtered(pilot: Pilot[None]) -> None:
    await _loaded(pilot)
    await pilot.press("slash", *"paused")
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_main_screen(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(injected_app(), terminal_size=size, run_before=_loaded)


def test_main_screen_filtered_80x24(snap_compare: Any) -> None:
    assert snap_compare(injected_app(), terminal_size=(80, 24), run_before=_filtered)


def test_help_screen_80x24(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await _loaded(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(injected_app(), terminal_size=(80, 24), run_before=run_before)


async def _log_screen(pilot: Pilot[None]) -> None:
    from limen_tui.logs.levels import Level
    from limen_tui.ui.frame import FRAME_S
    from limen_tui.ui.widgets.log_pane import LogPane

    await _loaded(pilot)
    await pilot.press("L", "g", "g", "g", "g")  # logs beside the table; the limen-tui log
    pane = pilot.app.query_one("#own", LogPane)
    pane.add_lines(["2026-11-22 10:00:00 INFO    limen_tui.fleet: demo: live"], Level.INFO)
    pane.add_lines(
        ["2026-11-22 10:00:05 WARNING limen_tui.fleet: hv2: down: no route"], Level.WARNING
    )
    pane.add_lines(["guest wrote [bold]not markup[/bold] \x1b[31mand no colour"])
    pane.add_lines(["2026-11-22 10:01:00 ERROR   limen_tui.audit: cannot write"], Level.ERROR)
    await pilot.pause(FRAME_S * 3)  # new lines are drawn with a frame, at most every FRAME_S
    if pilot.app.size.width < 110:  # at 80x24 the pane is a few lines: read it maximised
        pane.lines_widget.focus()
        await pilot.press("z")
    pilot.app.clear_notifications()
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_log_screen(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(injected_app(), terminal_size=size, run_before=_log_screen)


def fixed_health() -> Any:
    from limen_tui.hosts.health import DiskIo, DiskUsage, HealthSample, NetIo
    from limen_tui.hosts.monitor import HealthUpdated
    from limen_tui.hosts.thresholds import Thresholds, judge

    from .helpers import FIXED_TIME

    gib = 1024**3
    sample = HealthSample(
        time=FIXED_TIME,
        interval_s=2.0,
        cpu_pct=91.5,
        per_core=(88.0, 95.0, 90.0, 93.0),
        mem_used=52 * gib,
        mem_total=64 * gib,
        mem_pct=81.25,
        swap_used=gib,
        swap_total=8 * gib,
        swap_pct=12.5,
        load1=3.9,
        load5=3.2,
        load15=2.8,
        uptime_s=86400 * 12 + 3600 * 5,
        disks=(
            DiskUsage("/", "/dev/sda1", 40 * gib, 100 * gib, 60 * gib, 40.0),
            DiskUsage("/var/lib/libvirt", "/dev/sdb1", 960 * gib, 1000 * gib, 40 * gib, 96.0),
        ),
        disk_io=(DiskIo("sda", 1.5e6, 3.2e5), DiskIo("sdb", 9.1e7, 4.4e7)),
        net=(NetIo("eno1", 1.2e6, 3.4e5),),
    )
    return HealthUpdated("demo", sample, judge(sample, Thresholds()), None)


async def _hosts_screen(pilot: Pilot[None]) -> None:
    from limen_tui.ui.screens.hosts import HostsScreen

    from .helpers import still_host

    await _loaded(pilot)
    update = fixed_health()
    app: Any = pilot.app
    app.publish(update)
    app.push_screen(HostsScreen({"demo": still_host(update)}))
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_hosts_and_health_screen(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(injected_app(), terminal_size=size, run_before=_hosts_screen)


SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
@pytest.mark.parametrize(
    "scene",
    [
        "vm-screen",
        "vm-screen-graphs",
        "vm-screen-guest",
        "vm-screen-events",
        "noisy-neighbours",
        "serial-console",
        "snapshots",
        "create",
        "command-line",
        "help",
        "bulk-confirmation",
        "action-menu",
        "migrate-dialog",
        "migration",
        "evacuation",
    ],
)
def test_every_screen(snap_compare: Any, scene: str, size: tuple[int, int]) -> None:
    from .scenes import SCENES

    assert snap_compare(injected_app(), terminal_size=size, run_before=SCENES[scene])
