"""Fixtures for the store tests: a clock the test moves, and small real filesystems.

The tests run as root, where a chmod'ed directory does not stop a write, so read-only
and full disks are real tmpfs mounts (read-only, or a few hundred KiB).
"""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


class FakeClock:
    """Seconds since the epoch, moved only by the test."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def cache_path(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "cache.db"


def raw_rows(path: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Read the file with a connection of its own: what is really on disk."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)


@contextlib.contextmanager
def _tmpfs(where: Path, options: str) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    done = _run("mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where))
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        if _run("umount", str(where)).returncode != 0:
            _run("umount", "-l", str(where))  # a leaked handle must not leave a mount behind


Mount = Callable[[str, str], contextlib.AbstractContextManager[Path]]


@pytest.fixture
def tmpfs(tmp_path: Path) -> Mount:
    """`with tmpfs("name", "ro,size=1m") as directory:` a fresh tmpfs, unmounted after."""
    return lambda name, options: _tmpfs(tmp_path / name, options)


@pytest.fixture
def remount() -> Callable[[Path, str], None]:
    def run(where: Path, options: str) -> None:
        done = _run("mount", "-o", f"remount,{options}", str(where))
        assert done.returncode == 0, done.stderr

    return run
