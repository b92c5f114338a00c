"""The console's screen model: what the guest draws, never what it tells our terminal."""

from __future__ import annotations

from limen_tui.terminal.keys import DETACH_KEY, DETACH_KEY_NAME, key_bytes
from limen_tui.terminal.vt100 import Span, Terminal

SEABIOS = (
    b"\x1bc\x1b[?7l\x1b[2J\x1b[0mSeaBIOS (version 1.16.2)\r\n"
    b"Press Ctrl-B to configure iPXE\r" + b" " * 79 + b"\r\n"
    b"\x1b[0;1miPXE 1.0.0\x1b[0m -- Open Source Network Boot Firmware -- \x1b[0;36mhttp\r\n"
)


def test_detach_key_is_ctrl_close_bracket() -> None:
    assert DETACH_KEY == b"\x1d"


def test_screen_after_seabios_and_ipxe() -> None:
    term = Terminal(80, 24)
    term.feed(SEABIOS)
    lines = term.lines()
    assert len(lines) == 24 and all(len(line) == 80 for line in lines)
    assert term.text().splitlines() == [
        "SeaBIOS (version 1.16.2)",
        "",  # overwritten after the carriage return, as on a real terminal
        "iPXE 1.0.0 -- Open Source Network Boot Firmware -- http",
    ]
    spans = term.spans(2)
    assert spans[0] == Span("iPXE 1.0.0", bold=True)
    assert Span("http", fg="cyan") in spans
    assert term.cursor == (0, 3)


def test_dirty_rows_and_split_utf8() -> None:
    term = Terminal(20, 5)
    term.take_dirty()
    term.feed(b"\x1b[3;1Hcaf\xc3")  # an é cut in half between two reads
    term.feed(b"\xa9")
    assert term.lines()[2].rstrip() == "café"
    assert term.take_dirty() == {2}
    assert term.take_dirty() == set()


def test_replies_are_kept_for_the_guest() -> None:
    term = Terminal(20, 5)
    term.feed(b"ab\x1b[6n")  # where is the cursor?
    assert term.take_replies() == b"\x1b[1;3R"
    assert term.take_replies() == b""


def test_nothing_unsafe_leaves_the_model() -> None:
    term = Terminal(20, 3)
    term.feed(b"\x1b]0;title\x07")
    term.feed(b"\x1b%@")  # switch to Latin-1: bytes 0x80-0x9f would be C1 controls
    term.feed(b"A\x9bB")
    term.feed(b"\x1b%G")
    term.feed("\u202eR".encode())
    text = term.lines()[0]
    assert text.isprintable()
    assert text.startswith("A")
    assert "\u202e" not in text
    assert term.title == "title"


def test_resize() -> None:
    term = Terminal(80, 24)
    term.resize(100, 30)
    assert (term.columns, term.rows) == (100, 30)
    assert len(term.lines()) == 30


def test_keys_become_what_a_vt100_sends() -> None:
    assert key_bytes("enter") == b"\r"
    assert key_bytes("up") == b"\x1b[A"
    assert key_bytes("ctrl+b") == b"\x02"  # iPXE's "Press Ctrl-B"
    assert key_bytes("f5") == b"\x1b[15~"
    assert key_bytes("a", "a") == b"a"
    assert key_bytes("shift+a", "A") == b"A"
    assert key_bytes("eacute", "é") == "é".encode()
    assert key_bytes("ctrl+shift+f13") is None
    assert key_bytes(DETACH_KEY_NAME) == DETACH_KEY
