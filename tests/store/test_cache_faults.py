"""Faults of the cache file: damaged, unwritable, full, another version. None reaches the caller."""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from limen_tui.store import sqlitefile
from limen_tui.store.cache import Cache
from limen_tui.store.history import MetricHistory
from limen_tui.store.schema import SCHEMA_VERSION
from tests.store.conftest import FakeClock, Mount, raw_rows

TTLS = {"domain_xml": 100.0, "fleet": 1000.0}


def corrupt_copies(path: Path) -> list[Path]:
    return sorted(
        p for p in path.parent.glob(f"{path.name}.corrupt-*") if not p.name.endswith("-wal")
    )


def assert_off_but_harmless(cache: Cache) -> None:
    """Every call of a disabled cache is a miss or a no-op, none raises."""
    assert not cache.enabled
    cache.put("domain_xml", "h1", "vm-a", {"a": 1})
    cache.put_many("domain_xml", "h1", {"vm-b": 1})
    assert cache.get("domain_xml", "h1", "vm-a") is None
    assert cache.invalidate("h1") == 0
    assert cache.clear() == 0
    history = MetricHistory(cache.file)
    history.append("h1", "", "cpu", 1.0, 2.0)
    assert history.series("h1", "", "cpu") == []
    stats = cache.stats(cumulative=True)
    assert not stats.enabled and stats.reason == cache.reason and stats.entries == 0
    cache.close()


def test_garbage_file_is_moved_aside_and_rebuilt(cache_path: Path) -> None:
    cache_path.parent.mkdir()
    garbage = b"this is not a database, it is a shopping list\n" * 200
    cache_path.write_bytes(garbage)

    cache = Cache(cache_path, ttls=TTLS)
    assert cache.enabled
    (moved,) = corrupt_copies(cache_path)
    assert moved.read_bytes() == garbage, "the damaged file is kept for a post-mortem"
    assert len(cache.warnings) == 1 and moved.name in cache.warnings[0]
    assert "not a database" in cache.warnings[0]
    cache.put("domain_xml", "h1", "vm-a", 1)
    assert cache.get("domain_xml", "h1", "vm-a") is not None


def test_truncated_file_is_moved_aside_and_rebuilt(cache_path: Path) -> None:
    cache = Cache(cache_path, ttls=TTLS)
    cache.put_many("domain_xml", "h1", {f"vm-{i}": "x" * 1000 for i in range(2000)})
    cache.close()
    assert not Path(f"{cache_path}-wal").exists(), "closing checkpointed the log into the file"
    os.truncate(cache_path, cache_path.stat().st_size * 2 // 5)

    cache = Cache(cache_path, ttls=TTLS)
    # Wherever SQLite notices (at open or at the first page it cannot read), it is
    # handled inside a call: nothing raises, and the file is replaced once.
    found = [cache.get("domain_xml", "h1", f"vm-{i}") for i in range(0, 2000, 50)]
    assert cache.enabled
    assert len(corrupt_copies(cache_path)) == 1
    assert len(cache.warnings) == 1 and "damaged" in cache.warnings[0]
    assert all(entry is None for entry in found[1:])
    cache.put("domain_xml", "h1", "vm-new", 1)
    assert cache.get("domain_xml", "h1", "vm-new") is not None
    assert raw_rows(cache_path, "PRAGMA integrity_check") == [("ok",)]


def _damage_all_but_the_header(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.seek(4096)  # page 1 stays whole, so the file opens and the damage shows later
        f.write(random.Random(7).randbytes(size - 4096))


def test_damage_found_by_a_later_read_is_a_miss_then_a_new_file(cache_path: Path) -> None:
    cache = Cache(cache_path, ttls=TTLS)
    cache.put_many("domain_xml", "h1", {f"vm-{i}": "x" * 1000 for i in range(500)})
    cache.close()
    _damage_all_but_the_header(cache_path)

    cache = Cache(cache_path, ttls=TTLS)
    assert cache.enabled and cache.warnings == [], "nothing noticed at open"
    assert cache.get("domain_xml", "h1", "vm-5") is None
    assert len(cache.warnings) == 1 and len(corrupt_copies(cache_path)) == 1
    assert cache.enabled and cache.stats().misses == 1


def test_damage_found_by_a_write_retries_it_on_the_new_file(cache_path: Path) -> None:
    cache = Cache(cache_path, ttls=TTLS)
    cache.put_many("domain_xml", "h1", {f"vm-{i}": "x" * 1000 for i in range(500)})
    cache.close()
    _damage_all_but_the_header(cache_path)

    cache = Cache(cache_path, ttls=TTLS)
    cache.put("domain_xml", "h1", "vm-new", {"kept": True})
    assert len(cache.warnings) == 1
    entry = cache.get("domain_xml", "h1", "vm-new")
    assert entry is not None and entry.value == {"kept": True}
    assert cache.stats().writes == 1


def test_only_the_newest_damaged_copies_are_kept(cache_path: Path, clock: FakeClock) -> None:
    cache_path.parent.mkdir()
    for _ in range(4):
        cache_path.write_bytes(b"garbage" * 1000)
        for suffix in ("-wal", "-shm"):
            Path(f"{cache_path}{suffix}").unlink(missing_ok=True)
        Cache(cache_path, ttls=TTLS, clock=clock).close()
        clock.advance(60)
    assert len(corrupt_copies(cache_path)) == 2


def test_the_damaged_file_s_write_ahead_log_goes_aside_with_it(cache_path: Path) -> None:
    # Left in place, a log would be replayed into the new file on its first open. SQLite
    # deletes the log when the last connection closes, so it is only still there while
    # another console has the file open: `holder` plays that console.
    cache_path.parent.mkdir()
    cache_path.write_bytes(b"garbage" * 1000)
    wal = Path(f"{cache_path}-wal")
    wal.write_bytes(b"a log from another console" * 100)
    holder = sqlite3.connect(cache_path)
    try:
        with contextlib.suppress(sqlite3.DatabaseError):
            holder.execute("PRAGMA journal_mode").fetchall()

        cache = Cache(cache_path, ttls=TTLS)
        assert cache.enabled and len(cache.warnings) == 1
        (moved,) = corrupt_copies(cache_path)
        assert Path(f"{moved}-wal").read_bytes() == b"a log from another console" * 100
        cache.put("domain_xml", "h1", "vm-a", 1)
        assert raw_rows(cache_path, "PRAGMA integrity_check") == [("ok",)]
        cache.close()
    finally:
        holder.close()


def test_older_schema_is_rebuilt(cache_path: Path) -> None:
    cache = Cache(cache_path, ttls=TTLS)
    cache.put("domain_xml", "h1", "vm-a", 1)
    cache.close()
    conn = sqlite3.connect(cache_path)
    conn.execute("CREATE TABLE leftover_from_v0 (x)")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    conn.commit()
    conn.close()

    cache = Cache(cache_path, ttls=TTLS)
    assert cache.enabled
    assert cache.get("domain_xml", "h1", "vm-a") is None, "tables were rebuilt, entries gone"
    assert "rebuilt" in cache.warnings[0]
    assert raw_rows(cache_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert (
        raw_rows(cache_path, "SELECT name FROM sqlite_master WHERE name = 'leftover_from_v0'") == []
    )
    cache.put("domain_xml", "h1", "vm-a", 2)
    entry = cache.get("domain_xml", "h1", "vm-a")
    assert entry is not None and entry.value == 2


def test_newer_schema_turns_the_cache_off_without_touching_it(cache_path: Path) -> None:
    cache = Cache(cache_path, ttls=TTLS)
    cache.put("domain_xml", "h1", "vm-a", 1)
    cache.close()
    conn = sqlite3.connect(cache_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()

    cache = Cache(cache_path, ttls=TTLS)
    assert "newer limen-tui" in cache.reason
    assert_off_but_harmless(cache)
    assert raw_rows(cache_path, "SELECT count(*) FROM entries") == [(1,)]


def test_a_file_removed_by_another_console_is_recreated(cache_path: Path) -> None:
    cache = Cache(cache_path, ttls=TTLS)
    cache.put("domain_xml", "h1", "vm-a", 1)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{cache_path}{suffix}").unlink(missing_ok=True)  # e.g. `rm -r ~/.cache/limen-tui`
    assert cache.get("domain_xml", "h1", "vm-a") is None
    cache.put("domain_xml", "h1", "vm-b", 1)
    assert raw_rows(cache_path, "SELECT item FROM entries") == [("vm-b",)]
    assert cache.enabled and cache.warnings == []


def test_read_only_directory_turns_the_cache_off(tmpfs: Mount) -> None:
    with tmpfs("ro", "ro,size=1m") as directory:
        cache = Cache(directory / "limen-tui" / "cache.db", ttls=TTLS)
        assert "Read-only file system" in cache.reason
        assert_off_but_harmless(cache)


def test_existing_file_on_a_read_only_filesystem_turns_the_cache_off(
    tmpfs: Mount, remount: Callable[[Path, str], None]
) -> None:
    with tmpfs("was-rw", "size=1m") as directory:
        path = directory / "cache.db"
        Cache(path, ttls=TTLS).close()
        remount(directory, "ro")
        cache = Cache(path, ttls=TTLS)
        assert "Read-only file system" in cache.reason
        assert_off_but_harmless(cache)


def test_full_disk_at_start_up_turns_the_cache_off(tmpfs: Mount) -> None:
    with tmpfs("tiny", "size=64k") as directory:
        cache = Cache(directory / "cache.db", ttls=TTLS)
        assert "the disk is full" in cache.reason
        assert_off_but_harmless(cache)


def test_disk_filling_up_while_running_turns_the_cache_off(tmpfs: Mount) -> None:
    with tmpfs("small", "size=512k") as directory:
        cache = Cache(directory / "cache.db", ttls=TTLS)
        assert cache.enabled
        stored = 0
        while cache.enabled and stored < 200:
            cache.put("domain_xml", "h1", f"vm-{stored}", "x" * 16_000)
            stored += 1
        assert 0 < stored < 200
        assert cache.reason.startswith("cache off: the disk is full")
        assert_off_but_harmless(cache)


def test_a_console_holding_the_lock_too_long_costs_one_skipped_call(
    cache_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    monkeypatch.setattr(sqlitefile, "BUSY_TIMEOUT_MS", 200)
    cache = Cache(cache_path, ttls=TTLS, clock=clock)
    cache.put("domain_xml", "h1", "vm-a", 1)
    holder = sqlite3.connect(cache_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another console in the middle of a long write
    try:
        started = time.monotonic()
        cache.put("domain_xml", "h1", "vm-b", 2)
        assert 0.15 < time.monotonic() - started < 2
        assert cache.file.busy_skips == 1
        clock.advance(5)  # old enough that the hit wants to update last_used: it cannot
        entry = cache.get("domain_xml", "h1", "vm-a")
        assert entry is not None, "WAL readers are not blocked by a writer; the hit stays a hit"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert cache.enabled and cache.warnings == []
    cache.put("domain_xml", "h1", "vm-b", 2)
    assert cache.get("domain_xml", "h1", "vm-b") is not None
