"""config/ is the bottom layer: it imports no fleet/ or ui/, and nothing lazily."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import limen_tui.config

PACKAGE = Path(limen_tui.config.__file__).parent


def test_config_imports_neither_fleet_nor_ui_nor_the_store() -> None:
    names = [m.name for m in pkgutil.walk_packages([str(PACKAGE)], "limen_tui.config.")]
    assert "limen_tui.config.file" in names and "limen_tui.config.toml_source" in names
    code = (
        "import sys\n"
        + "".join(f"import {name}\n" for name in names)
        + "bad = [m for m in sys.modules if m.startswith(("
        + "'limen_tui.fleet', 'limen_tui.ui', 'limen_tui.store', 'limen_tui.cli'))]\n"
        + "print(','.join(sorted(bad)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""


def test_no_config_module_imports_inside_a_function() -> None:
    lazy = [
        f"{path.name}:{node.lineno}"
        for path in sorted(PACKAGE.glob("*.py"))
        for func in ast.walk(ast.parse(path.read_text()))
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(func)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert lazy == []
