"""The core never imports Textual (nor Rich): proven in a fresh interpreter.

Every module outside limen_tui/ui/ is listed by walking the package, so a new core module is
checked without anyone remembering to add it here.
"""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import limen_tui

UI_ONLY = ("limen_tui.ui", "limen_tui.cli.console", "limen_tui.cli.factory", "limen_tui.__main__")
"""The UI, and the composition root that builds the console (the fleet handed to the app)."""


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


UI_DIR = Path(limen_tui.__file__).parent / "ui"
NO_LIBVIRT_IN_UI = ("libvirt", "libvirtaio", "limen_tui.virt")


def _imports(path: Path) -> set[str]:
    """Every module a file imports (`import a.b`, `from a.b import c` give a.b and a.b.c)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _ui_files(*parts: str) -> list[Path]:
    files = sorted(UI_DIR.joinpath(*parts).rglob("*.py"))
    assert files
    return files


def _is_under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_the_ui_never_imports_libvirt_nor_virt() -> None:
    bad = {
        f"{path.relative_to(UI_DIR.parent)}: {name}"
        for path in _ui_files()
        for name in _imports(path)
        if any(_is_under(name, p) for p in NO_LIBVIRT_IN_UI)
    }
    assert not bad, sorted(bad)


def test_screens_and_widgets_never_import_the_app() -> None:
    bad = {
        f"{path.relative_to(UI_DIR.parent)}: {name}"
        for part in ("screens", "widgets")
        for path in _ui_files(part)
        for name in _imports(path)
        if _is_under(name, "limen_tui.ui.app")
    }
    assert not bad, sorted(bad)
