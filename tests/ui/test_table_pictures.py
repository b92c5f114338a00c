"""Snapshots of the grouped view and the column picker on the demo fleet (pollers off, one
real tick injected), at 80x24 and 120x40."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from limen_tui.ui.screens.column_picker import ColumnPicker
from limen_tui.ui.widgets.vm_table import VmTable

from .helpers import burst, inject, injected_app, wait_for
from .test_screen_pictures import _utc  # noqa: F401 (the clock's zone pinned)

SIZES = [(80, 24), (120, 40)]


async def _grouped(pilot: Pilot[None]) -> None:
    pilot.app.animation_level = "none"  # the focus tint drawn at its end, never mid-way
    await inject(pilot.app)  # type: ignore[arg-type]
    table = pilot.app.query_one(VmTable)
    await burst(pilot, "colon", *"group tag", "enter")
    await wait_for(lambda: table.group_by == "tag" and pilot.app.focused is table)
    await pilot.pause()
    await burst(pilot, "down", "down", "down", "down", "down", "minus")  # fold the second group
    await wait_for(lambda: table.lines_text()[5].startswith("▸ "))
    table.update_node_styles(animate=False)  # the focus tint at its end, not mid-animation
    await pilot.pause(0.3)


async def _picker(pilot: Pilot[None]) -> None:
    pilot.app.animation_level = "none"
    await inject(pilot.app)  # type: ignore[arg-type]
    table = pilot.app.query_one(VmTable)
    await wait_for(lambda: len(table.shown_columns) > 2)
    await pilot.press("colon", *"columns", "enter")
    await wait_for(lambda: isinstance(pilot.app.screen, ColumnPicker))
    # The command line gives the focus back to the table as it closes: wait for that, or the
    # table behind the picker is drawn focused in one run and not in another.
    await wait_for(lambda: pilot.app.screen_stack[-2].focused is table)
    await pilot.pause()
    await pilot.press("down", "down", "space")
    await pilot.pause()
    # The table behind has lost the focus to the picker; its style said so at once, not through
    # the tint's animation (which a loaded machine catches at a different step each run).
    pilot.app.screen_stack[-2].set_focus(None)
    table.update_node_styles(animate=False)
    await pilot.pause(0.3)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_grouped_view(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(injected_app(), terminal_size=size, run_before=_grouped)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_column_picker(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(injected_app(), terminal_size=size, run_before=_picker)
