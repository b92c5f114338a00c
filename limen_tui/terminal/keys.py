"""What to send down a serial console for a key the operator pressed.

Key names are the UI's (Textual's: "up", "ctrl+a", "f5"), as plain strings, so this stays
core. The bytes are what a VT100/xterm sends, which is what guests' gettys, SeaBIOS and
iPXE expect.
"""

from __future__ import annotations

DETACH_KEY = b"\x1d"
"""Ctrl+]: the byte that leaves the serial console, as virsh console uses it."""
DETACH_KEY_NAME = "ctrl+right_square_bracket"
"""Ctrl+] as the UI names it; the console's DETACH_KEY (0x1d) as a key press."""

_NAMED: dict[str, bytes] = {
    "enter": b"\r",
    "tab": b"\t",
    "shift+tab": b"\x1b[Z",
    "backspace": b"\x7f",
    "escape": b"\x1b",
    "up": b"\x1b[A",
    "down": b"\x1b[B",
    "right": b"\x1b[C",
    "left": b"\x1b[D",
    "home": b"\x1b[H",
    "end": b"\x1b[F",
    "insert": b"\x1b[2~",
    "delete": b"\x1b[3~",
    "pageup": b"\x1b[5~",
    "pagedown": b"\x1b[6~",
    "f1": b"\x1bOP",
    "f2": b"\x1bOQ",
    "f3": b"\x1bOR",
    "f4": b"\x1bOS",
    "f5": b"\x1b[15~",
    "f6": b"\x1b[17~",
    "f7": b"\x1b[18~",
    "f8": b"\x1b[19~",
    "f9": b"\x1b[20~",
    "f10": b"\x1b[21~",
    "f11": b"\x1b[23~",
    "f12": b"\x1b[24~",
    "ctrl+@": b"\x00",
    "ctrl+space": b"\x00",
    "ctrl+left_square_bracket": b"\x1b",
    "ctrl+backslash": b"\x1c",
    "ctrl+right_square_bracket": b"\x1d",
    "ctrl+circumflex_accent": b"\x1e",
    "ctrl+underscore": b"\x1f",
}


def key_bytes(key: str, character: str | None = None) -> bytes | None:
    """The bytes for `key` (with the `character` it typed, if any); None if it sends nothing.

    The caller checks for DETACH_KEY_NAME first: that key leaves the console instead.
    """
    named = _NAMED.get(key)
    if named is not None:
        return named
    if key.startswith("ctrl+") and len(key) == 6 and "a" <= key[5] <= "z":
        return bytes([ord(key[5]) - ord("a") + 1])  # ctrl+a = 0x01 ... ctrl+z = 0x1a
    if character and character.isprintable():
        return character.encode()
    return None
