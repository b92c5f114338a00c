"""The hosts package is core: it never imports Textual (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

HOSTS = [
    "limen_tui.hosts.config",
    "limen_tui.hosts.health",
    "limen_tui.hosts.local",
    "limen_tui.hosts.monitor",
    "limen_tui.hosts.procfs",
    "limen_tui.hosts.remote",
    "limen_tui.hosts.ssh",
    "limen_tui.hosts.thresholds",
]


def test_hosts_import_without_textual() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in HOSTS)
        + "print(','.join(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""
