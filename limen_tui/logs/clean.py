"""Host text made safe to show: decoded leniently, never interpreted by a terminal.

A log line is data from a host (a guest can write into its QEMU log, anyone can write to the
journal), so nothing in it may reach the operator's terminal as a command. Complete escape
sequences (colours, cursor moves, window titles) are removed: they carry no words, and a
colour code shown as `\\x1b[31m` around every journal line would bury the text. Every other
control character (a lone ESC, BEL, backspace, a carriage return inside a line, C1 codes,
bidirectional overrides) is shown as a visible escape such as `\\x1b`, as the VM table does
with names, so nothing is hidden either. Markup-looking text (`[bold]`) is plain text here;
the UI must render it without markup.
"""

from __future__ import annotations

import re
import unicodedata

# ECMA-48 sequences, 7-bit (ESC ...) and 8-bit (C1) forms:
#   CSI  ESC [ or 0x9b, parameters, intermediates, one final byte (colours, cursor, erase)
#   OSC/DCS/SOS/PM/APC  ESC ] P X ^ _ or 0x9d 0x90 0x98 0x9e 0x9f, text, ended by BEL or ST
#   other escapes  ESC, intermediates, one final byte (ESC c reset, ESC ( B charset, ESC 7)
# An unterminated string sequence does not match, so its ESC is escaped and its text shown;
# so does ESC before a space, which in a log is far likelier a stray ESC than a sequence.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[!-/]*(?![\[\]PX^_])[0-~]"
)

_VISIBLE_AS_IS = frozenset("\t ")
_UNSAFE_CATEGORIES = frozenset(("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"))
_escapes: dict[str, str] = {}


def _escape(ch: str) -> str:
    """`\\x1b` for one character that must not reach a terminal, or the character itself."""
    seen = _escapes.get(ch)
    if seen is not None:
        return seen
    if ch in _VISIBLE_AS_IS or unicodedata.category(ch) not in _UNSAFE_CATEGORIES:
        out = ch
    else:
        code = ord(ch)
        out = f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    if len(_escapes) < 4096:  # bounded: a hostile stream of distinct code points stays small
        _escapes[ch] = out
    return out


def escape_controls(text: str) -> str:
    """Every control character shown as a visible escape (`\\x1b`), escape sequences kept
    visible too: for names and other short host text, where nothing may be hidden."""
    if text.isprintable():
        return text
    return "".join([_escape(ch) for ch in text])


def clean_line(raw: bytes | str) -> str:
    """One line from a host as plain, inert text: `b"\\x1b[31mboom\\x07"` -> `"boom\\\\x07"`.

    Bytes are decoded as UTF-8 with U+FFFD for what is not; one trailing newline (LF, CRLF or
    CR) is dropped.
    """
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    if text.endswith("\n"):
        text = text[:-2] if text.endswith("\r\n") else text[:-1]
    elif text.endswith("\r"):
        text = text[:-1]
    if text.isprintable():  # the common case: a plain log line costs one C-level scan
        return text
    if "\x1b" in text or any(c in text for c in "\x9b\x9d\x90\x98\x9e\x9f"):
        text = _SEQUENCE.sub("", text)
        if text.isprintable():
            return text
    return escape_controls(text)
