"""Host text is shown literally: decoded leniently, escape sequences never interpreted."""

from __future__ import annotations

import pytest

from limen_tui.logs.clean import clean_line


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain line", "plain line"),
        (b"bytes line\n", "bytes line"),
        (b"windows line\r\n", "windows line"),
        (b"bad \xff\xfe utf-8", "bad \ufffd\ufffd utf-8"),
        ("keeps\ttabs", "keeps\ttabs"),
        # markup-looking text is text
        ("[bold]not bold[/bold] [red]x", "[bold]not bold[/bold] [red]x"),
        # complete sequences go: colours, cursor moves, erase, a window title, a reset
        ("\x1b[1;31merror\x1b[0m: boom", "error: boom"),
        ("\x1b[2J\x1b[H\x1b[?25lclear", "clear"),
        ("\x1b]0;owned title\x07after", "after"),
        ("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "link"),
        ("\x1bcreset", "reset"),
        ("\x9b31mc1 csi", "c1 csi"),
        # what is left is shown as an escape, never obeyed
        ("lone \x1b escape", "lone \\x1b escape"),
        ("\x1b]0;unterminated title", "\\x1b]0;unterminated title"),
        ("bell\x07 back\x08space", "bell\\x07 back\\x08space"),
        ("progress\rover", "progress\\x0dover"),
        ("nul\x00byte", "nul\\x00byte"),
        ("c1 \x85 next-line", "c1 \\x85 next-line"),
        ("bidi \u202eevil", "bidi \\u202eevil"),
        ("del\x7f", "del\\x7f"),
    ],
)
def test_clean_line(raw: bytes | str, shown: str) -> None:
    assert clean_line(raw) == shown


def test_markup_and_ansi_together_come_out_literal() -> None:
    line = b"2024-05-01 10:00:00.000+0000: 12: error : [bold]VM[/bold] \x1b[31mdied\x1b[0m \x1b"
    out = clean_line(line)
    assert out == "2024-05-01 10:00:00.000+0000: 12: error : [bold]VM[/bold] died \\x1b"
    assert "\x1b" not in out


def test_cleaning_is_idempotent() -> None:
    for raw in ("a\x1b[31mb\x07", "plain", "\x1b]0;x", "tab\there\r"):
        once = clean_line(raw)
        assert clean_line(once) == once
        assert once.isprintable() or "\t" in once
