"""The audit log: every action an operator ran, refused ones included, in its own file.

Unlike the cache it is not disposable: it lives in the state directory (not the cache
directory), nothing in the cache's fault handling or `clear()` touches it, it is never
rebuilt, and when it cannot be written `record` raises `AuditError` instead of carrying
on, because an action must not go unaudited without the caller deciding so.
"""

from __future__ import annotations

import json
import os
import pwd
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, cast

from sqlite_utils import Database

from limen_tui.paths import state_dir
from limen_tui.store.sqlitefile import (
    FileIdentity,
    close_quietly,
    explain,
    identity_of,
    open_private,
    write_transaction,
)

Outcome = Literal["succeeded", "failed", "refused"]

AUDIT_SCHEMA_VERSION: Final = 1

_SCHEMA: Final = (
    """CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        time REAL NOT NULL,
        user TEXT NOT NULL,
        host TEXT NOT NULL,
        vm TEXT,
        action TEXT NOT NULL,
        params TEXT NOT NULL,
        outcome TEXT NOT NULL,
        error TEXT,
        duration_s REAL
    )""",
    "CREATE INDEX audit_by_time ON audit (time)",
)
_COLUMNS: Final = "time, user, host, vm, action, params, outcome, error, duration_s"


def default_audit_path() -> Path:
    return state_dir() / "audit.db"


def local_user() -> str:
    """Who is at the keyboard, from the process's uid (not $USER, which anyone can set)."""
    uid = os.getuid()
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        name = f"uid {uid}"
    via = os.environ.get("SUDO_USER")
    # Under sudo the uid is root's; who ran sudo is worth keeping, marked as a claim.
    return f"{name} (sudo from {via})" if via and via != name else name


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRecord:
    time: float
    """When the action started (seconds since the epoch)."""
    user: str = field(default_factory=local_user)
    host: str
    vm: str | None
    """The VM's name, or None for a host-wide action."""
    action: str
    params: Mapping[str, Any] = field(default_factory=dict)
    outcome: Outcome
    error: str | None = None
    duration_s: float | None = None


class AuditError(Exception):
    """The audit log could not be read or written; the message says why in plain words."""


class AuditLog:
    """Append-only record of actions. Thread-safe: one connection behind a lock."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        retention_days: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path) if path is not None else default_audit_path()
        self.retention_days = retention_days
        """None keeps every record forever; otherwise older ones are trimmed on write."""
        self._clock = clock
        self._lock = threading.Lock()
        self._db: Database | None = None
        self._identity: FileIdentity | None = None

    def record(self, entry: AuditRecord) -> None:
        """Write `entry` durably (synchronous=FULL). Raises AuditError if it cannot."""
        row = (
            entry.time,
            entry.user,
            entry.host,
            entry.vm,
            entry.action,
            # default=str: an odd parameter is recorded as text rather than lost.
            json.dumps(dict(entry.params), default=str, ensure_ascii=False),
            entry.outcome,
            entry.error,
            entry.duration_s,
        )
        with self._lock:
            try:
                db = self._current()
                with write_transaction(db):
                    db.execute(f"INSERT INTO audit ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)", row)
                    if self.retention_days is not None:
                        cutoff = self._clock() - self.retention_days * 86_400
                        db.execute("DELETE FROM audit WHERE time < ?", (cutoff,))
            except (sqlite3.Error, OSError) as exc:
                self._close()  # the next record tries afresh: the disk may have room again
                raise AuditError(f"cannot write the audit log {self.path}: {explain(exc)}") from exc

    def query(self, since: float | None = None, limit: int | None = None) -> list[AuditRecord]:
        """Records from `since` on, oldest first; with `limit`, only the newest `limit`."""
        with self._lock:
            try:
                rows = (
                    self._current()
                    .execute(
                        f"SELECT {_COLUMNS} FROM audit WHERE time >= ? "
                        "ORDER BY time DESC, id DESC LIMIT ?",
                        (float("-inf") if since is None else since, -1 if limit is None else limit),
                    )
                    .fetchall()
                )
            except (sqlite3.Error, OSError) as exc:
                self._close()
                raise AuditError(f"cannot read the audit log {self.path}: {explain(exc)}") from exc
        return [
            AuditRecord(
                time=t,
                user=user,
                host=host,
                vm=vm,
                action=action,
                params=json.loads(params),
                outcome=cast(Outcome, outcome),
                error=error,
                duration_s=duration_s,
            )
            for t, user, host, vm, action, params, outcome, error, duration_s in reversed(rows)
        ]

    def close(self) -> None:
        with self._lock:
            self._close()

    def _current(self) -> Database:
        # Reopen when the file was moved away (an operator archiving it): records must
        # go to the file at the path, not to the archived one.
        if self._db is not None and identity_of(self.path) == self._identity:
            return self._db
        self._close()
        db = open_private(self.path, synchronous="FULL")
        try:
            self._ensure_schema(db)
        except BaseException:
            close_quietly(db)
            raise
        self._db, self._identity = db, identity_of(self.path)
        return db

    def _ensure_schema(self, db: Database) -> None:
        ((version,),) = db.execute("PRAGMA user_version").fetchall()
        if version == AUDIT_SCHEMA_VERSION:
            return
        with write_transaction(db):
            ((version,),) = db.execute("PRAGMA user_version").fetchall()
            if version == AUDIT_SCHEMA_VERSION:
                return
            if version != 0 or db.table_names():
                # Never rebuilt: records are not disposable. A later version migrates here.
                raise AuditError(
                    f"the audit log {self.path} has an unknown layout (schema {version}); "
                    "move it aside to start a new one"
                )
            for statement in _SCHEMA:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {AUDIT_SCHEMA_VERSION}")

    def _close(self) -> None:
        close_quietly(self._db)
        self._db = None
