"""The self-cost budget on the live demo: over budget, the refresh interval stretches and the
console says so in the events pane and on the diagnostics screen; the output is counted."""

from __future__ import annotations

import io

from rich.console import Console as RichConsole
from textual.drivers.headless_driver import HeadlessDriver
from textual.widgets import Static

from limen_tui.config.settings import Settings
from limen_tui.ui.output_meter import OutputMeter, counting_driver
from limen_tui.ui.screens.diagnostics import DiagnosticsScreen
from limen_tui.ui.widgets.event_log import EventLog
from limen_tui.ui.widgets.vm_table import VmTable
from tests.ui.helpers import demo_app, wait_for

TINY = Settings(refresh_interval=0.2, self_cost_budget_pct=0.0001, self_cost_window_s=3.0)


def _text(renderable: object) -> str:
    out = RichConsole(width=120, record=True, file=io.StringIO())
    out.print(renderable)
    return out.export_text()


async def test_a_tiny_budget_stretches_the_refresh_and_says_so() -> None:
    app = demo_app(TINY)
    async with app.run_test(size=(120, 40)) as pilot:
        fleet = app.fleet
        assert fleet is not None
        fleet.self_cost.budget.stretching = True  # as `limen-tui` runs it (cli/console.py)
        await wait_for(lambda: app.query_one(VmTable).row_count == 48)
        pane = app.query_one(EventLog)
        await wait_for(lambda: any("refresh stretched to 0.4 s" in t for t in pane.lines), 20)
        line = next(t for t in pane.lines if "refresh stretched to 0.4 s" in t)
        assert "the console used" in line and "% of a core, budget 0.0001%" in line
        # Every host's link waits the fleet's pace, not the configured 0.2 s.
        assert all(h.link.pace is fleet.pace for h in fleet.hosts.values())

        await pilot.press("i")
        assert isinstance(app.screen, DiagnosticsScreen)
        body = app.screen.query_one("#body", Static)

        # The budget goes on deciding (a stretch that bought nothing is undone, later tried
        # again): the screen shows the last decision and the interval of the moment.
        def shows_the_pace() -> bool:
            words = " ".join(_text(body.content).replace("│", " ").split())
            now = f"refresh interval {fleet.pace.interval:g} s (configured 0.2 s)"
            return str(fleet.pace.last_change) in words and now in words

        await wait_for(shows_the_pace, 20)
        text = _text(body.content)
        assert "CPU (over" in text and "% of a core" in text and "0.0001% of a core" in text
        assert "memory (RSS)" in text and "output to the terminal" in text
        assert "what a tick costs each host" in text and "demo" in text
        await pilot.press("escape")


async def test_the_default_budget_leaves_the_demo_alone() -> None:
    app = demo_app(Settings(refresh_interval=0.2, self_cost_window_s=1.0))
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.fleet is not None
        await wait_for(lambda: app.query_one(VmTable).row_count == 48)
        fleet = app.fleet
        await wait_for(lambda: fleet.self_cost.budget.cost is not None)
        await pilot.press("i")
        assert isinstance(app.screen, DiagnosticsScreen)
        body = app.screen.query_one("#body", Static)
        await wait_for(lambda: "2% of a core" in _text(body.content), 10)
        await pilot.press("escape")


def test_what_the_driver_writes_is_counted_in_bytes() -> None:
    meter = OutputMeter()
    driver_class = counting_driver(HeadlessDriver, meter)
    assert issubclass(driver_class, HeadlessDriver)
    driver = driver_class.__new__(driver_class)  # write() needs no running app
    driver.write("\x1b[2J")
    driver.write("│ web-01 ")  # a box-drawing character is 3 bytes on the wire
    assert meter() == 4 + 11


def test_the_console_counts_through_its_driver() -> None:
    app = demo_app(TINY)
    assert app.driver_class.__name__.startswith("Counting")
    assert app.fleet is not None and app.fleet.self_cost.sampler.output_bytes is app.output
