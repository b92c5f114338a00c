"""The core never imports Textual: proven in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "limen_tui.model",
    "limen_tui.config",
    "limen_tui.fleet",
    "limen_tui.units",
    "limen_tui.virt.collector",
    "limen_tui.virt.connection",
    "limen_tui.virt.events",
    "limen_tui.virt.eventloop",
    "limen_tui.virt.actions",
    "limen_tui.virt.snapshots",
    "limen_tui.virt.vmspec",
    "limen_tui.virt.provision",
    "limen_tui.virt.clone",
    "limen_tui.virt.transaction",
    "limen_tui.operations",
    "limen_tui.store.cache",
    "limen_tui.store.audit",
    "limen_tui.store.history",
    "limen_tui.paths",
    "limen_tui.logs.follow_file",
    "limen_tui.logs.sources",
    "limen_tui.logs.own_log",
    "limen_tui.virt.console",
    "limen_tui.virt.terminal",
    "limen_tui.hosts.monitor",
    "limen_tui.health_board",
    "limen_tui.config_file",
    "limen_tui.audit_cli",
    "limen_tui.demo",
    "limen_tui.cli",
]


def test_core_imports_without_textual() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in CORE)
        + "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""
