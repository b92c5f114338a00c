"""The console on the live demo hypervisor, driven from the keyboard with Textual's Pilot."""

from __future__ import annotations

import io

from rich.console import Console

from limen_tui.config.settings import Settings
from limen_tui.model import PowerState
from limen_tui.ui.screens.help import HelpScreen
from limen_tui.ui.widgets.details import DetailsPanel, details_table
from limen_tui.ui.widgets.host_bar import HostBar
from limen_tui.ui.widgets.vm_table import VmTable

from .helpers import demo_app, injected_app, wait_for


async def test_demo_fleet_fills_the_table_and_the_header() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(VmTable)
        await wait_for(lambda: table.row_count == 48)
        status = app.query_one(HostBar).statuses["demo"]
        await wait_for(lambda: app.query_one(HostBar).statuses["demo"].calls_last_tick == 1)
        assert status.facts is not None and status.facts.cpus == 64
        states = {r.state for r in table.rows_by_key.values()}
        assert {PowerState.RUNNING, PowerState.PAUSED, PowerState.SHUTOFF} <= states
        await pilot.press("q")


async def test_filter_by_name_then_by_state_then_clear() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(VmTable)
        await wait_for(lambda: table.row_count == 48)
        await pilot.press("slash", *"k8s")
        await wait_for(lambda: table.query_text == "k8s" and table.row_count < 48)
        assert table.shown_names() and all("k8s" in n for n in table.shown_names())
        await pilot.press("enter")
        assert app.focused is table
        await pilot.press("slash", "ctrl+u", *"paused")
        await wait_for(lambda: table.query_text == "paused")
        await pilot.pause()
        names = table.shown_names()
        assert names and all(
            r.state is PowerState.PAUSED for k, r in table.rows_by_key.items() if r.name in names
        )
        paused = sum(r.state is PowerState.PAUSED for r in table.rows_by_key.values())
        assert len(names) == paused
        await pilot.press("escape")
        await wait_for(lambda: table.row_count == 48)


async def test_filter_that_matches_nothing_shows_an_empty_table_and_keeps_running() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(VmTable)
        await wait_for(lambda: table.row_count == 48)
        await pilot.press("slash", *"[bold]no-such-vm")
        await pilot.pause()
        assert table.row_count == 0
        assert app.query_one(DetailsPanel).row is None
        await pilot.press("escape")
        await wait_for(lambda: table.row_count == 48)


async def test_sort_by_keys_and_reverse() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(VmTable)
        await wait_for(lambda: table.row_count == 48)
        names = table.shown_names()
        assert names == sorted(names, key=str.casefold)
        await pilot.press("S")
        assert table.shown_names() == list(reversed(names))
        await pilot.press("s")  # next column: state
        assert table.sort_column == "state"
        shown_states = [
            next(r.state.value for r in table.rows_by_key.values() if r.name == n)
            for n in table.shown_names()
        ]
        assert shown_states == sorted(shown_states)


async def test_sort_keeps_the_cursor_on_the_same_vm() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(VmTable)
        await wait_for(lambda: table.row_count == 48)
        await pilot.press("down", "down", "down")
        chosen = table.selected_row
        assert chosen is not None
        await pilot.press("S")
        assert table.selected_row == chosen
        assert app.query_one(DetailsPanel).row == chosen


async def test_help_opens_and_closes() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_hostile_names_are_shown_literally() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(VmTable)
        await wait_for(lambda: table.row_count == 48)
        await pilot.press("slash", *"lab-")
        await pilot.press("enter")
        await pilot.pause()
        row = table.selected_row
        assert row is not None and row.name == "lab-[bold]not-markup[reverse]"
        cell = table.cells_at(table.cursor_row)[0]
        shown = cell.plain.removesuffix("…")
        assert row.name.startswith(shown) and len(shown) >= 12 and not cell.spans
        details = app.query_one(DetailsPanel)
        assert details.row == row
        console = Console(width=120, record=True, file=io.StringIO())
        console.print(details_table(row))
        assert "lab-[bold]not-markup[reverse]" in console.export_text()


async def test_event_log_keeps_only_its_bound() -> None:
    from limen_tui.model import DomainEvent
    from limen_tui.ui.widgets.event_log import EventLog

    app = injected_app(Settings(event_log_lines=25))
    async with app.run_test(size=(80, 24)):
        log = app.query_one(EventLog)
        for i in range(500):
            log.add_event(
                DomainEvent(0.0, "h", "u", f"vm-{i}", "lifecycle", "started", "booted"),
                show_host=False,
            )
        assert len(log.lines) == 25
        assert log.lines[-1].endswith("vm-499 started (booted)")


async def test_diagnostics_show_calls_and_cache_counters() -> None:
    from rich.console import Console as RichConsole

    from limen_tui.store.cache import Cache
    from limen_tui.ui.screens.diagnostics import DiagnosticsScreen, diagnostics

    with Cache() as cache:
        app = demo_app()
        app.cache = cache
        async with app.run_test(size=(120, 40)) as pilot:
            table = app.query_one(VmTable)
            await wait_for(lambda: table.row_count == 48)
            await pilot.press("i")
            assert isinstance(app.screen, DiagnosticsScreen)
            out = RichConsole(width=120, record=True, file=io.StringIO())
            out.print(diagnostics(app.fleet, app.cache))
            text = out.export_text()
            assert "getAllDomainStats" in text and "hit ratio" in text
            await pilot.press("escape")


async def test_layout_choices_persist_between_runs() -> None:
    from limen_tui.ui import saved_layout as ui_state

    app = injected_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("L")
        assert app.screen.has_class("logs-beside")
        await pilot.press("w")
        await wait_for(lambda: ui_state.load().log_tab == "operations")
        await pilot.press("t", "z")
        assert app.screen.maximized is app.query_one(VmTable)
        await pilot.press("z")
        assert app.screen.maximized is None
    assert ui_state.load().logs == "beside"
    again = injected_app()
    async with again.run_test(size=(120, 40)):
        assert again.screen.has_class("logs-beside")
        from textual.widgets import TabbedContent

        assert again.query_one("#logs", TabbedContent).active == "operations-tab"


async def test_hosts_screen_shows_pools_and_networks_and_picks_a_host() -> None:
    from rich.console import Console as RichConsole
    from textual.widgets import Input

    from limen_tui.ui.screens.hosts import HostsScreen

    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(VmTable)
        await wait_for(lambda: table.row_count == 48)
        await pilot.press("H")
        screen = app.screen
        assert isinstance(screen, HostsScreen)

        def shown() -> str:
            out = RichConsole(width=118, record=True, file=io.StringIO())
            if screen.shown is not None:
                out.print(screen.shown)
            return out.export_text()

        await wait_for(lambda: "Storage pools" in shown())
        text = shown()
        assert "vm-disks" in text and "lab-isolated" in text and "64 CPUs" in text
        assert "Node memory: n/a" in text  # the test driver has no node memory stats
        await pilot.press("enter")
        assert app.query_one("#filter", Input).value == "host:demo"
        assert table.row_count == 48
        await pilot.press("right_square_bracket")
        assert app.query_one("#filter", Input).value == ""
