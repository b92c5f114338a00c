"""Layout keys at 80x24 and 120x40: the table is never hidden, a choice the terminal is too
small for is refused or falls back (and says why), also after a resize under a dialog."""

from __future__ import annotations

from limen_tui.ui import saved_layout
from limen_tui.ui.saved_layout import UiState, fit
from limen_tui.ui.screens.help import HelpScreen
from limen_tui.ui.widgets.details import DetailsPanel
from limen_tui.ui.widgets.vm_table import VmTable

from .helpers import burst, inject, injected_app


def test_fit_never_hides_the_table_and_says_why_it_falls_back() -> None:
    for width in (60, 80, 109, 110, 120, 200):
        for height in (12, 24, 40):
            for logs in ("below", "beside"):
                for details in (True, False):
                    grid = fit(UiState(logs=logs, details=details), width, height)
                    assert grid.table_span[0] >= 1 and len(grid.columns) >= 1
                    if logs == "beside" and width < 110 and height >= 18:
                        assert "110 columns" in grid.note and grid.logs
    assert fit(UiState(logs="beside"), 120, 40).note == ""


async def test_details_off_gives_the_table_the_whole_width_at_80x24() -> None:
    app = injected_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await inject(app)
        table = app.query_one(VmTable)
        await burst(pilot, "d")
        assert not app.query_one(DetailsPanel).display
        assert table.size.width >= 78
        await burst(pilot, "d")
        assert app.query_one(DetailsPanel).display


async def test_logs_beside_is_refused_at_80_columns_and_not_remembered() -> None:
    app = injected_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await inject(app)
        await burst(pilot, "L")
        assert not app.screen.has_class("logs-beside")
        assert any("110 columns" in n.message for n in app._notifications)
        assert app.main.layout_state.logs == "below"
        assert app.query_one("#logs").display and app.query_one(VmTable).display


async def test_a_saved_layout_too_wide_for_the_terminal_falls_back_at_start() -> None:
    saved_layout.save(UiState(logs="beside", details=True))
    app = injected_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await inject(app)
        await pilot.pause()
        assert not app.screen.has_class("logs-beside")
        assert app.query_one("#logs").display and app.query_one(DetailsPanel).display


async def test_a_resize_under_a_dialog_fits_the_layout_when_it_closes() -> None:
    saved_layout.save(UiState(logs="beside", details=True))
    app = injected_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await inject(app)
        assert app.screen.has_class("logs-beside")
        await burst(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await burst(pilot, "escape")
        await pilot.pause()
        shown: object = app.screen  # not narrowed to the help screen pushed above
        assert shown is app.main and not app.main.has_class("logs-beside")
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert app.screen.has_class("logs-beside")


async def test_home_end_and_pages_move_the_cursor() -> None:
    app = injected_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await inject(app)
        table = app.query_one(VmTable)
        await burst(pilot, "end")
        assert table.cursor_row == table.row_count - 1
        await burst(pilot, "home")
        assert table.cursor_row == 0
        await burst(pilot, "pagedown")
        assert table.cursor_row > 3
        await burst(pilot, "pageup")
        assert table.cursor_row == 0


async def test_the_details_pane_takes_the_focus_and_scrolls() -> None:
    app = injected_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await inject(app)
        details = app.query_one(DetailsPanel)
        await burst(pilot, "tab")
        while app.focused is not details:
            await burst(pilot, "tab")
        assert details.max_scroll_y > 0
        await burst(pilot, "pagedown")
        assert details.scroll_y > 0
