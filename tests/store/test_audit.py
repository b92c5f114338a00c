"""The audit log: durable, queryable, private, loud when it cannot write, untouched by the cache."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from limen_tui.store.audit import AuditError, AuditLog, AuditRecord, local_user
from limen_tui.store.cache import Cache
from tests.store.conftest import FakeClock, Mount, raw_rows


def shutdown(at: float, vm: str = "web-1", **changes: object) -> AuditRecord:
    fields: dict[str, object] = {
        "time": at,
        "host": "h1",
        "vm": vm,
        "action": "shutdown",
        "outcome": "succeeded",
        **changes,
    }
    return AuditRecord(**fields)  # type: ignore[arg-type]


def test_record_and_query_round_trip(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "state" / "audit.db")
    record = AuditRecord(
        time=1000.5,
        host="h1",
        vm="db-ünicode-[bold]",
        action="delete",
        params={"remove_storage": True, "volumes": ["a.qcow2"]},
        outcome="failed",
        error="Requested operation is not valid: domain is running",
        duration_s=0.25,
    )
    log.record(record)
    log.record(
        AuditRecord(time=1001.0, host="h1", vm=None, action="pool-refresh", outcome="refused")
    )
    first, second = log.query()
    assert first == record
    assert first.user == local_user() == record.user
    assert (second.vm, second.params, second.error, second.duration_s) == (None, {}, None, None)


def test_query_since_and_limit(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.db")
    for t in range(10):
        log.record(shutdown(float(t), vm=f"vm-{t}"))
    assert [r.vm for r in log.query(since=7)] == ["vm-7", "vm-8", "vm-9"]
    assert [r.vm for r in log.query(limit=2)] == ["vm-8", "vm-9"], "the newest, oldest first"
    assert [r.vm for r in log.query(since=2, limit=3)] == ["vm-7", "vm-8", "vm-9"]
    assert log.query(since=100) == []


def test_an_odd_parameter_is_kept_as_text(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.db")
    log.record(shutdown(1.0, params={"path": tmp_path}))
    (record,) = log.query()
    assert record.params == {"path": str(tmp_path)}


def test_retention_trims_on_write(tmp_path: Path, clock: FakeClock) -> None:
    log = AuditLog(tmp_path / "audit.db", retention_days=1, clock=clock)
    log.record(shutdown(clock(), vm="old"))
    clock.advance(86_400 + 1)
    log.record(shutdown(clock(), vm="new"))
    assert [r.vm for r in log.query()] == ["new"]
    assert raw_rows(tmp_path / "audit.db", "SELECT count(*) FROM audit") == [(1,)]


def test_without_retention_everything_is_kept(tmp_path: Path, clock: FakeClock) -> None:
    log = AuditLog(tmp_path / "audit.db", clock=clock)
    log.record(shutdown(clock(), vm="old"))
    clock.advance(10 * 365 * 86_400)
    log.record(shutdown(clock(), vm="new"))
    assert [r.vm for r in log.query()] == ["old", "new"]


def test_file_is_private_durable_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "state" / "audit.db"
    log = AuditLog(path)
    log.record(shutdown(1.0))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(Path(f"{path}-wal").stat().st_mode) == 0o600
    assert raw_rows(path, "PRAGMA journal_mode") == [("wal",)]
    # Another process sees the record at once: it was committed, not buffered.
    assert raw_rows(path, "SELECT vm FROM audit") == [("web-1",)]


def test_unwritable_log_raises_a_clear_error(tmpfs: Mount) -> None:
    with tmpfs("ro", "ro,size=1m") as directory:
        log = AuditLog(directory / "audit.db")
        with pytest.raises(AuditError, match=r"cannot write the audit log .*Read-only file system"):
            log.record(shutdown(1.0))
        with pytest.raises(AuditError, match="cannot read the audit log"):
            log.query()


def fill_disk(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        with pytest.raises(OSError, match="No space left"):
            while True:
                os.write(fd, b"\0" * 4096)
    finally:
        os.close(fd)


def test_full_disk_raises_and_a_later_record_retries(tmpfs: Mount) -> None:
    with tmpfs("small", "size=256k") as directory:
        log = AuditLog(directory / "audit.db")
        log.record(shutdown(1.0))
        fill_disk(directory / "filler")
        with pytest.raises(AuditError, match="the disk is full"):
            for t in range(1000):
                log.record(shutdown(float(t), params={"pad": "x" * 2000}))
        (directory / "filler").unlink()
        log.record(shutdown(5000.0, vm="after"))
        assert log.query(limit=1)[0].vm == "after"
        log.close()


def test_a_foreign_file_is_refused_not_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE something_else (x)")
    conn.commit()
    conn.close()
    with pytest.raises(AuditError, match="unknown layout"):
        AuditLog(path).record(shutdown(1.0))
    assert raw_rows(path, "SELECT name FROM sqlite_master") == [("something_else",)]


def test_an_archived_log_is_followed_by_a_new_file(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    log = AuditLog(path)
    log.record(shutdown(1.0, vm="before"))
    log.close()
    os.rename(path, tmp_path / "audit-2024.db")
    log.record(shutdown(2.0, vm="after"))
    assert [r.vm for r in log.query()] == ["after"]


def test_records_from_many_threads(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.db")

    def work(n: int) -> None:
        for i in range(25):
            log.record(shutdown(float(n), vm=f"{n}-{i}"))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(log.query()) == 200


def _fingerprint(directory: Path, name: str) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.glob(f"{name}*"))
    }


def test_cache_clear_and_a_damaged_cache_never_touch_the_audit_log(tmp_path: Path) -> None:
    # Same directory on purpose: the cache's fault handling must pick its own files only.
    audit = AuditLog(tmp_path / "audit.db")
    for t in range(5):
        audit.record(shutdown(float(t)))
    audit.close()
    before = _fingerprint(tmp_path, "audit.db")
    assert before

    cache = Cache(tmp_path / "cache.db")
    cache.put("fleet", "h1", "", [1, 2, 3])
    cache.clear()
    cache.close()
    for _ in range(4):  # enough damaged copies that old ones get pruned
        (tmp_path / "cache.db").write_bytes(b"garbage" * 1000)
        damaged = Cache(tmp_path / "cache.db")
        assert damaged.warnings and damaged.enabled
        damaged.close()

    assert _fingerprint(tmp_path, "audit.db") == before
    assert len(AuditLog(tmp_path / "audit.db").query()) == 5
