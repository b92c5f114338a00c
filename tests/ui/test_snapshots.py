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
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_log_screen(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(injected_app(), terminal_size=size, run_before=_log_screen)
