"""What the VM table paints, read back from its lines as the terminal gets them: the header
names every shown column, a cell keeps its own colour, the cursor row stands out."""

from __future__ import annotations

from rich.color import Color

from limen_tui.model import PowerState
from limen_tui.ui.widgets.vm_table import VmTable

from .helpers import inject, injected_app


async def test_the_header_names_every_shown_column_and_the_sort() -> None:
    app = injected_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await inject(app)
        await pilot.pause()
        table = app.query_one(VmTable)
        header = table.render_line(0).text
        for col in table.shown_columns:
            label = col.label if col.key != "name" else "Name ▲"
            assert label in header, (label, header)
        await pilot.press("s")  # the next column: its header carries the arrow
        await pilot.pause()
        assert "▲" in table.render_line(0).text and "Name ▲" not in table.render_line(0).text


async def test_a_state_cell_is_painted_in_its_colour() -> None:
    app = injected_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await inject(app)
        await pilot.pause()
        table = app.query_one(VmTable)
        page = table.scrollable_content_region.height - 1
        colours: dict[PowerState, set[Color | None]] = {}
        for y in range(1, page + 1):
            row = table.rows_by_key[table.model.at(y - 1)]
            for segment in table.render_line(y):
                if segment.text.strip() == row.state.value and segment.style is not None:
                    colours.setdefault(row.state, set()).add(segment.style.color)
        running, off = colours[PowerState.RUNNING], colours[PowerState.SHUTOFF]
        assert running and off and running.isdisjoint(off)  # states differ in colour too
