"""File locations follow XDG, with the usual fallbacks, and nothing is created on import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from limen_tui import paths
from limen_tui.store.audit import default_audit_path
from limen_tui.store.cachefile import default_cache_path


def test_xdg_variables_are_followed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "c"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "s"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "k"))
    assert paths.cache_dir() == tmp_path / "c" / "limen-tui"
    assert paths.state_dir() == tmp_path / "s" / "limen-tui"
    assert paths.config_dir() == tmp_path / "k" / "limen-tui"
    assert default_cache_path() == tmp_path / "c" / "limen-tui" / "cache.db"
    assert default_audit_path() == tmp_path / "s" / "limen-tui" / "audit.db"


@pytest.mark.parametrize("value", [None, "", "relative/dir"])
def test_unset_empty_or_relative_falls_back_to_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str | None
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME"):
        if value is None:
            monkeypatch.delenv(var, raising=False)
        else:
            monkeypatch.setenv(var, value)
    assert paths.cache_dir() == tmp_path / ".cache" / "limen-tui"
    assert paths.state_dir() == tmp_path / ".local" / "state" / "limen-tui"
    assert paths.config_dir() == tmp_path / ".config" / "limen-tui"


def test_importing_the_store_touches_no_file_and_no_textual(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "import limen_tui.paths, limen_tui.store\n"
        "print(','.join(m for m in sys.modules if m.split('.')[0] == 'textual'))\n"
    )
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=env,
    )
    assert out.stdout.strip() == ""
    assert list(tmp_path.iterdir()) == []
