"""The common log pane, driven from the keyboard: follow/pause, search, filter, level, save."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult

from limen_tui.logs.levels import Level
from limen_tui.ui.widgets.log_pane import LogPane

from .helpers import wait_for


class PaneApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LogPane(50, id="pane", title="test")

    def on_mount(self) -> None:
        self.query_one(LogPane).lines_widget.focus()


async def test_lines_from_hosts_are_shown_literally() -> None:
    app = PaneApp()
    async with app.run_test(size=(100, 20)):
        pane = app.query_one(LogPane)
        pane.add_lines([b"[bold]not bold[/bold] \x1b[31mred?\x1b[0m \xff end"])
        (line,) = pane.buffer.copy()
        assert "[bold]not bold[/bold]" in line.text
        assert "\x1b" not in line.text and "red?" in line.text  # dropped, never obeyed
        assert "\ufffd" in line.text  # invalid UTF-8 replaced, not dropped


async def test_search_filter_level_and_follow() -> None:
    app = PaneApp()
    async with app.run_test(size=(100, 20)) as pilot:
        pane = app.query_one(LogPane)
        pane.add_lines(["boot ok", "error: disk gone", "warning: slow", "boot again"])
        await pilot.press("slash", *"boot", "enter")
        assert pane.search_text == "boot" and "2 match(es)" in pane_status(pane)
        await pilot.press("backslash", *"disk", "enter")
        assert [ln.text for ln in pane.buffer.view(pane.filter_text, pane.level)] == [
            "error: disk gone"
        ]
        await pilot.press("escape")
        assert pane.filter_text == "" and pane.search_text == ""
        await pilot.press("l", "l")
        assert pane.level is Level.WARNING
        assert [ln.text for ln in pane.buffer.view(level=pane.level)] == [
            "error: disk gone",
            "warning: slow",
        ]
        await pilot.press("f")
        assert not pane.following
        pane.add_lines(["while paused"])
        assert pane.pending == 1 and "paused, 1 new" in pane_status(pane)
        await pilot.press("G")
        assert pane.following and pane.pending == 0


async def test_buffer_stays_bounded_under_a_flood(tmp_path: Path) -> None:
    app = PaneApp()
    async with app.run_test(size=(100, 20)) as pilot:
        pane = app.query_one(LogPane)
        for start in range(0, 100_000, 5_000):
            pane.add_lines(f"line {i}" for i in range(start, start + 5_000))
        assert len(pane.buffer) == 50 and pane.buffer.copy()[-1].text == "line 99999"
        target = tmp_path / "saved.txt"
        await pilot.press("ctrl+s", "ctrl+u", *str(target), "enter")
        await wait_for(lambda: target.exists())
        assert target.read_text().splitlines()[-1] == "line 99999"


def pane_status(pane: LogPane) -> str:
    from textual.widgets import Static

    return str(pane.query_one("#status", Static).render())
