"""The core never imports Textual (nor Rich): proven in a fresh interpreter.

Every module outside limen_tui/ui/ is listed by walking the package, so a new core module is
checked without anyone remembering to add it here.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import limen_tui

UI_ONLY = ("limen_tui.ui", "limen_tui.__main__")


def core_modules() -> list[str]:
    names = [
        m.name
        for m in pkgutil.walk_packages(limen_tui.__path__, "limen_tui.")
        if not m.name.startswith(UI_ONLY)
    ]
    return sorted(names)


def test_the_core_is_everything_but_ui() -> None:
    names = core_modules()
    assert "limen_tui.fleet.host" in names and "limen_tui.hosts.ssh" in names
    assert "limen_tui.logs.follow_file" in names and "limen_tui.store.cache" in names
    assert not any(n.startswith("limen_tui.ui") for n in names)


def test_core_imports_without_textual_or_rich() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in core_modules())
        + "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')]\n"
        + "print(','.join(sorted(bad)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""
