"""A big fleet in the console (libvirt's test driver, in process): what it costs follows the
screen. The sizes the test driver's bulk stats lack are read for the rows on screen only."""

from __future__ import annotations

from pathlib import Path

from limen_tui.cli.factory import make_app
from limen_tui.config.settings import Settings
from limen_tui.demo import write_fleet
from limen_tui.ui.widgets.vm_table import VmTable

from .helpers import wait_for

VMS = 2000


async def test_sizes_are_read_for_the_rows_on_screen_not_for_the_fleet(tmp_path: Path) -> None:
    uri = f"test://{write_fleet(tmp_path / 'big.xml', VMS)}"
    app = make_app([uri], Settings(refresh_interval=0.2), names={uri: "big"})
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(VmTable)
        await wait_for(lambda: table.row_count == VMS, limit=30)
        page = table.scrollable_content_region.height - 1

        def on_screen_sized() -> bool:
            return all(table.rows_by_key[table.model.at(i)].vcpus is not None for i in range(page))

        await wait_for(on_screen_sized, limit=20)
        await pilot.press("pagedown", "pagedown")
        await pilot.pause()
        second = table.model.window(int(table.scroll_offset.y), page)  # the rows now on screen
        assert len(second) == page and table.cursor_row >= page
        await wait_for(lambda: all(table.rows_by_key[k].vcpus is not None for k in second), 20)
        await pilot.pause(1.0)  # five more ticks
        assert app.fleet is not None
        read = app.fleet.hosts["big"].calls.tally().get("info (discovery)", 0)
        # The first tick (no screen yet) and the three screens seen: far from the 2,000.
        assert read <= 64 + 4 * page, read
        unsized = sum(r.vcpus is None for r in table.rows_by_key.values())
        assert unsized > VMS / 2  # the rest are "n/a" until scrolled to


async def test_tags_are_read_for_the_screen_and_for_the_fleet_once_a_filter_needs_them(
    tmp_path: Path,
) -> None:
    uri = f"test://{write_fleet(tmp_path / 'big.xml', VMS)}"
    app = make_app([uri], Settings(refresh_interval=0.2), names={uri: "big"})
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(VmTable)
        await wait_for(lambda: table.row_count == VMS, limit=30)
        await pilot.pause(1.0)  # five ticks
        assert app.fleet is not None
        host = app.fleet.hosts["big"]
        read = host.calls.tally().get("XMLDesc (tags)", 0)
        assert read <= 64 + 2 * table.scrollable_content_region.height, read
        want = sum("db" in r.name.split("-")[0] for r in table.rows_by_key.values())
        await pilot.press("slash", *"tag:db", "enter")
        await pilot.pause()
        assert "still being read" in str(table.border_title)  # the filter says it is partial
        await wait_for(lambda: host.labels_unread == 0, limit=60)
        await pilot.pause(0.5)
        assert table.row_count == want, (table.row_count, want)
        assert "still being read" not in str(table.border_title)
        assert all("db" in r.tags for r in table.shown_rows())
