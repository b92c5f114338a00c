"""Columns chosen by the operator: `:columns a,b,c`, the picker, kept per width class."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from limen_tui.model import DomainRow, PowerState
from limen_tui.ui import saved_layout
from limen_tui.ui.columns import chosen_columns, matches
from limen_tui.ui.command_line import complete, parse
from limen_tui.ui.screens.column_picker import ColumnPicker
from limen_tui.ui.widgets.vm_table import VmTable

from .helpers import burst, demo_app, wait_for


def _keys(table: VmTable) -> list[str]:
    return [c.key for c in table.shown_columns]


async def _ready(app: Any) -> VmTable:
    table: VmTable = app.query_one(VmTable)
    await wait_for(lambda: table.row_count == 48)
    return table


def test_a_typed_list_names_columns_and_a_typo_says_which() -> None:
    cols, problem = chosen_columns("host,state,cpu,disk_rd,net_tx")
    assert [c.key for c in cols] == ["name", "host", "state", "cpu", "disk_rd", "net_tx"]
    assert not problem
    _, problem = chosen_columns("name,stat")
    assert problem.startswith("no column stat; the columns: name, host, state")
    assert complete("columns name,ho", all_columns=["name", "host"]).text == "columns name,host"
    assert parse("export xml x").error.startswith("export needs a format and a file")


def test_tags_filter_by_whole_tag_or_its_start() -> None:
    row = DomainRow(host="h", uuid="u", name="a", state=PowerState.RUNNING, tags=("web", "Prod"))
    assert matches(row, "tag:web") and matches(row, "tag:prod") and matches(row, "tag:pr*")
    assert not matches(row, "tag:we") and not matches(row, "tag:db")


def test_a_saved_choice_is_kept_per_width_class_and_bad_entries_dropped(tmp_path: Path) -> None:
    path = tmp_path / "ui.json"
    path.write_text(json.dumps({"columns": {"narrow": ["name", "ip"], "tiny": ["x"], "wide": 3}}))
    assert saved_layout.load(path).columns == {"narrow": ["name", "ip"]}
    assert saved_layout.width_class(80) == "narrow" and saved_layout.width_class(120) == "wide"


async def test_columns_typed_show_sort_and_survive_a_restart() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = await _ready(app)
        await burst(pilot, "colon", *"columns state,disk_rd,disk_wr,net_rx,net_tx", "enter")
        chosen = ["name", "state", "disk_rd", "disk_wr", "net_rx", "net_tx"]
        await wait_for(lambda: _keys(table) == chosen)  # (state is second before, too)
        await burst(pilot, "colon", *"sort net_rx desc", "enter")
        await pilot.pause()
        assert (table.sort_column, table.sort_reverse) == ("net_rx", True)
        header = table.render_line(0).text
        assert "Net rx ▼" in header and "Disk wr" in header
        await burst(pilot, "colon", *"columns name,bogus", "enter")
        await wait_for(lambda: any("no column bogus" in n.message for n in app._notifications))
        assert _keys(table)[1] == "state"
    saved = json.loads(saved_layout.state_path().read_text(encoding="utf-8"))
    assert saved["columns"]["narrow"][:2] == ["name", "state"]
    again = demo_app()
    async with again.run_test(size=(80, 24)) as pilot:
        table = await _ready(again)
        await pilot.pause()
        assert _keys(table) == ["name", "state", "disk_rd", "disk_wr", "net_rx", "net_tx"]
    wide = demo_app()
    async with wide.run_test(size=(120, 40)) as pilot:
        table = await _ready(wide)
        await pilot.pause()
        assert "state" in _keys(table) and "vcpus" in _keys(table)  # the wide class: as fits


async def test_the_picker_shows_hides_and_moves_columns_with_keys() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = await _ready(app)
        before = _keys(table)
        await burst(pilot, "colon", *"columns", "enter")
        await wait_for(lambda: isinstance(app.screen, ColumnPicker))
        picker = app.screen
        assert isinstance(picker, ColumnPicker)
        assert picker.chosen() == before
        await burst(pilot, "space")  # the name cannot go
        assert picker.chosen() == before
        await burst(pilot, "down", "space")  # hide the second (state)
        await burst(pilot, "down", "J")  # move the third down one
        await pilot.pause()
        want = [before[0], before[3], before[2], *before[4:]]
        assert picker.chosen() == want
        await burst(pilot, "escape")
        await wait_for(lambda: not isinstance(app.screen, ColumnPicker))
        assert _keys(table) == before  # Esc changes nothing
        await burst(pilot, "colon", *"columns", "enter")
        await wait_for(lambda: isinstance(app.screen, ColumnPicker))
        await burst(pilot, "down", "space", "down", "J", "enter")
        await wait_for(lambda: _keys(table) == want)
        await burst(pilot, "colon", *"columns fit", "enter")
        await wait_for(lambda: _keys(table) == before)
    assert "narrow" not in saved_layout.load().columns
    assert os.environ["XDG_STATE_HOME"]  # the test's own state dir, not the operator's


async def test_t_sets_tags_on_the_marked_vms_after_a_question_and_the_filter_finds_them() -> None:
    from limen_tui.ui.screens.ask import AskScreen
    from limen_tui.ui.screens.confirm import ConfirmScreen

    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _ready(app)
        await burst(pilot, "colon", *"filter web-0", "enter")
        await wait_for(lambda: 1 < table.row_count < 48)
        names = sorted(table.shown_names())
        await burst(pilot, "asterisk", "T")
        await wait_for(lambda: isinstance(app.screen, AskScreen))
        await pilot.pause()
        await pilot.press("ctrl+u", *"+blue", "enter")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        assert f"{len(names)} VMs" in screen.question.plain and "+blue" in screen.question.plain
        await burst(pilot, "y")

        def tagged() -> list[str]:
            return sorted(r.name for r in table.rows_by_key.values() if "blue" in r.tags)

        await wait_for(lambda: tagged() == names, 20)
        await burst(pilot, "U", "colon", *"filter tag:blue", "enter")
        await wait_for(
            lambda: table.query_text == "tag:blue" and sorted(table.shown_names()) == names
        )
