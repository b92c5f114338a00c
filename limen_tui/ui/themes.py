"""The console's themes: Textual's own, three of ours, and which one a run starts in.

`limen-mono` is for NO_COLOR, 16-colour terminals and screenshots that must print: black,
white and two greys, and every colour a widget asks for (the table's states, the header's link
states, log levels, all written as Rich colour names) is turned into black or white text on a
grey background by `Contrast`, so what stays is bold, dim, reverse and the words themselves.
Every state the console shows has a word or a symbol (running, down, ✓, ▲), never a colour
alone, so nothing is lost.

NO_COLOR (https://no-color.org): Textual already greys every colour when it is set; we also
start in `limen-mono`, unless the config file names a theme.
"""

from __future__ import annotations

from functools import lru_cache

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import LineFilter
from textual.theme import BUILTIN_THEMES, Theme

DEFAULT = "textual-dark"
MONO = "limen-mono"

LIMEN_THEMES: dict[str, Theme] = {
    "limen-dark": Theme(
        name="limen-dark",
        primary="#5FAFD7",
        secondary="#3A6E8F",
        accent="#D7AF5F",
        warning="#D7AF5F",
        error="#D75F5F",
        success="#87AF5F",
        foreground="#DADADA",
        background="#121212",
        surface="#1C1C1C",
        panel="#262626",
        dark=True,
    ),
    "limen-light": Theme(
        name="limen-light",
        primary="#005F87",
        secondary="#5F87AF",
        accent="#875F00",
        warning="#875F00",
        error="#AF0000",
        success="#005F00",
        foreground="#1C1C1C",
        background="#FFFFFF",
        surface="#F0F0F0",
        panel="#DADADA",
        dark=False,
    ),
    MONO: Theme(
        name=MONO,
        primary="#FFFFFF",
        secondary="#C0C0C0",
        accent="#FFFFFF",
        warning="#FFFFFF",
        error="#FFFFFF",
        success="#FFFFFF",
        foreground="#FFFFFF",
        background="#000000",
        surface="#000000",
        panel="#404040",
        boost="#202020",
        dark=True,
        luminosity_spread=0.25,
        variables={
            # The cursor and the focused pane show by reverse video, not by a shade of blue.
            "block-cursor-foreground": "#000000",
            "block-cursor-background": "#FFFFFF",
            "block-cursor-text-style": "bold",
            "block-cursor-blurred-foreground": "#000000",
            "block-cursor-blurred-background": "#C0C0C0",
            "block-cursor-blurred-text-style": "none",
            "footer-key-foreground": "#FFFFFF",
            "input-selection-background": "#C0C0C0 50%",
        },
    ),
}

THEME_NAMES: tuple[str, ...] = (*BUILTIN_THEMES, *LIMEN_THEMES)
"""Every theme `:theme` and the config file's `theme` may name."""


def starting_theme(configured: str | None, remembered: str, *, no_color: bool) -> str:
    """The config file's theme, else monochrome under NO_COLOR, else the last `:theme`."""
    if configured:
        return configured
    if no_color:
        return MONO
    return remembered if remembered in THEME_NAMES else DEFAULT


SAME_SHADE = 0.05
"""Text this close in brightness to its background was meant to be invisible (the tall
borders' half blocks, a scrollbar's track): it stays invisible."""


@lru_cache(1024)
def _contrast(style: Style, background: Color) -> Style:
    bg = (
        Color.from_rich_color(style.bgcolor) if style.bgcolor is not None else background
    ).monochrome
    if style.color is not None:
        was = Color.from_rich_color(style.color).monochrome
        if abs(was.brightness - bg.brightness) < SAME_SHADE:
            return style + Style.from_color(bg.rich_color, bg.rich_color)
    fg = Color(0, 0, 0) if bg.brightness > 0.5 else Color(255, 255, 255)
    return style + Style.from_color(fg.rich_color, bg.rich_color)


class Contrast(LineFilter):
    """Every colour as black or white text on a grey: attributes (bold, dim, reverse) kept."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [
            Segment(text, style if style is None else _contrast(style, background), control)
            for text, style, control in segments
        ]
