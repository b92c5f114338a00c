"""Logs and consoles are core: they import neither Textual nor Rich (proven in a fresh
interpreter)."""

from __future__ import annotations

import subprocess
import sys

MODULES = [
    "limen_tui.logs",
    "limen_tui.logs.buffer",
    "limen_tui.logs.follow_file",
    "limen_tui.logs.follow_command",
    "limen_tui.logs.remote",
    "limen_tui.logs.sources",
    "limen_tui.logs.own_log",
    "limen_tui.virt.console",
    "limen_tui.virt.stream_pump",
    "limen_tui.virt.terminal",
    "limen_tui.virt.console_keys",
]


def test_logs_and_console_import_without_textual_or_rich() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in MODULES)
        + "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')]\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""
