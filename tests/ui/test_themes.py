"""Themes: the monochrome one and NO_COLOR as pictures, no colour left but every state's word,
and `:theme` remembered between runs."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rich.terminal_theme import SVG_EXPORT_THEME
from textual.pilot import Pilot

from limen_tui.cli.common import load_config
from limen_tui.config.file import ConfigError
from limen_tui.config.settings import Settings
from limen_tui.model import LinkState
from limen_tui.ui import saved_layout
from limen_tui.ui.app import LimenApp
from limen_tui.ui.themes import MONO, THEME_NAMES
from limen_tui.ui.widgets.vm_table import VmTable

from .helpers import inject, injected_app, wait_for
from .test_screen_pictures import _utc  # noqa: F401  (the clock's zone pinned for pictures)

SIZES = [(80, 24), (120, 40)]


async def _loaded(pilot: Pilot[Any]) -> None:
    assert isinstance(pilot.app, LimenApp)
    await inject(pilot.app)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_main_screen_in_the_monochrome_theme(snap_compare: Any, size: tuple[int, int]) -> None:
    app = injected_app(Settings(theme=MONO))
    assert snap_compare(app, terminal_size=size, run_before=_loaded)


@pytest.mark.parametrize("size", SIZES)
def test_main_screen_under_no_color(
    snap_compare: Any, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(injected_app(), terminal_size=size, run_before=_loaded)


_HEX = re.compile(r"#([0-9a-fA-F]{6})\b")


def colours(svg: str) -> set[str]:
    """Every colour the screen is drawn in: the picture's window buttons and the SVG export's
    own default text and window colours (Rich's, for text that names none) left out."""
    drawn = re.sub(r"<circle[^>]*>", "", svg)
    own = {SVG_EXPORT_THEME.foreground_color.hex[1:], SVG_EXPORT_THEME.background_color.hex[1:]}
    return {m.lower() for m in _HEX.findall(drawn)} - own


def hued(svg: str) -> set[str]:
    """The colours that are not a grey (red, green and blue not all equal)."""
    return {c for c in colours(svg) if not c[0:2] == c[2:4] == c[4:6]}


async def _screen(app: LimenApp, size: tuple[int, int]) -> tuple[str, set[str]]:
    async with app.run_test(size=size) as pilot:
        await _loaded(pilot)
        svg = app.export_screenshot()
        words = {r.state.value for r in app.query_one(VmTable).rows_by_key.values()}
    return svg, words


@pytest.mark.parametrize("size", SIZES)
async def test_under_no_color_nothing_is_coloured_and_every_state_has_its_word(
    size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    coloured, _ = await _screen(injected_app(), size)
    assert hued(coloured), "the default theme is coloured: the check below can fail"
    monkeypatch.setenv("NO_COLOR", "1")
    app = injected_app()
    svg, states = await _screen(app, size)
    assert app.theme == MONO
    assert hued(svg) == set()
    assert {"running", "paused", "shut off"} <= states  # the demo's states, all on the page
    shown = svg.replace("&#160;", " ")
    for word in states:
        assert re.search(rf">[^<]*\b{word}\b", shown), word
    assert LinkState.LIVE.value in shown and "●" in shown  # the host's link state, in words


async def test_the_monochrome_theme_turns_every_colour_grey_without_no_color() -> None:
    svg, _ = await _screen(injected_app(Settings(theme=MONO)), (120, 40))
    assert hued(svg) == set()


async def test_theme_command_switches_and_is_remembered_for_the_next_run() -> None:
    app = injected_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _loaded(pilot)
        await pilot.press("colon", *"theme limen-light", "enter")
        await pilot.pause()
        assert app.theme == "limen-light"
        await wait_for(lambda: saved_layout.load().theme == "limen-light")
    again = injected_app()
    assert again.theme == "limen-light"
    # The config file's theme is the one a run starts in, whatever was chosen last.
    assert injected_app(Settings(theme="nord")).theme == "nord"


async def test_an_unknown_theme_command_says_the_nearest_and_changes_nothing() -> None:
    app = injected_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _loaded(pilot)
        before = app.theme
        await pilot.press("colon", *"theme limen-mnoo", "enter")
        await pilot.pause()
        assert app.theme == before
        said = [n.message for n in app._notifications]
        assert any("unknown theme limen-mnoo; did you mean limen-mono?" in m for m in said)
    assert saved_layout.load().theme == ""


def test_a_remembered_theme_that_no_longer_exists_falls_back_to_the_default() -> None:
    saved_layout.save(saved_layout.UiState(theme="gone-theme"))
    assert injected_app().theme == "textual-dark"


def test_the_console_checks_the_config_theme_against_every_theme_it_has(tmp_path: Any) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[console]\ntheme = "nrod"\n')
    with pytest.raises(ConfigError, match="unknown theme 'nrod'; did you mean 'nord'"):
        load_config(path, themes=THEME_NAMES)
    path.write_text('[console]\ntheme = "limen-mono"\n')
    assert load_config(path, themes=THEME_NAMES).settings.theme == MONO


def _table_backgrounds(svg: str, app: LimenApp) -> set[str]:
    """The background colours of the cells of a VM table row away from the cursor."""
    table = app.query_one(VmTable).region
    line_h, cell_w = 24.4, 12.2  # Rich's SVG export: one terminal cell
    y = table.y + 5  # below the border, the header, the cursor's row and the next
    rects = re.findall(r'<rect fill="#([0-9a-f]{6})" x="([\d.]+)" y="([\d.]+)"', svg)
    return {
        c
        for c, x, top in rects
        if round(float(top) / line_h) - 1 == y
        and table.x + 2 <= float(x) / cell_w < table.right - 2
    }


async def test_a_theme_chosen_while_running_repaints_the_vm_table_too() -> None:
    fresh = injected_app(Settings(theme="limen-light"))
    async with fresh.run_test(size=(120, 40)) as pilot:
        await _loaded(pilot)
        wanted = _table_backgrounds(fresh.export_screenshot(), fresh)
    app = injected_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _loaded(pilot)
        before = _table_backgrounds(app.export_screenshot(), app)
        await pilot.press("colon", *"theme limen-light", "enter")
        await pilot.pause()
        await pilot.pause()
        after = _table_backgrounds(app.export_screenshot(), app)
    assert before != wanted, "the two themes paint the table differently: the check can fail"
    assert after == wanted


async def test_in_the_monochrome_theme_the_focused_pane_has_a_heavy_border() -> None:
    app = injected_app(Settings(theme=MONO))
    async with app.run_test(size=(120, 40)) as pilot:
        await _loaded(pilot)
        assert "┏" not in app.export_screenshot()  # the table has the focus: its top is heavy
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "details"
        assert "┏" in app.export_screenshot()


def test_the_monochrome_theme_keeps_its_shades_apart_on_a_16_colour_terminal() -> None:
    from rich.color import Color as RichColor
    from rich.color import ColorSystem

    from limen_tui.ui.themes import LIMEN_THEMES

    mono = LIMEN_THEMES[MONO]

    def sixteen(hex_colour: str) -> int | None:
        return RichColor.parse(hex_colour[:7]).downgrade(ColorSystem.STANDARD).number

    assert mono.background is not None and mono.foreground is not None
    back, cursor = sixteen(mono.background), sixteen(mono.variables["block-cursor-background"])
    assert len({back, sixteen(mono.foreground)}) == 2
    assert len({back, cursor, sixteen(mono.variables["block-cursor-blurred-background"])}) == 3


async def test_leaving_the_monochrome_theme_brings_the_colours_back() -> None:
    app = injected_app(Settings(theme=MONO))
    async with app.run_test(size=(120, 40)) as pilot:
        await _loaded(pilot)
        assert hued(app.export_screenshot()) == set()
        await pilot.press("colon", *"theme textual-dark", "enter")
        await pilot.pause()
        await pilot.pause()
        coloured = hued(app.export_screenshot())
    fresh, _ = await _screen(injected_app(), (120, 40))
    assert coloured == hued(fresh)


async def test_a_theme_chosen_under_no_color_stays_grey_and_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = injected_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _loaded(pilot)
        await pilot.press("colon", *"theme nord", "enter")
        await pilot.pause()
        await pilot.pause()
        assert app.theme == "nord"
        assert hued(app.export_screenshot()) == set()
        said = [n.message for n in app._notifications]
        assert "theme nord, in greys: NO_COLOR is set" in said
