"""Where a host keeps the logs an operator asks for, decided the same way here and over SSH.

- A VM's QEMU log: `/var/log/libvirt/qemu/<name>.log`. libvirt puts the VM's name into the
  path as it is (spaces, quotes, `$`), so the path is data: it is only ever passed as one
  argument, quoted for a remote shell, never pasted into a command line.
- The hypervisor daemon's log: the journal (`journalctl -f -u libvirtd -u virtqemud ...`)
  where journald runs, else the daemon's own log file.

On a remote host one probe command answers every question at once (one round trip); its
script is a constant and the paths reach it as positional arguments.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from limen_tui.logs.follow_command import follow_command
from limen_tui.logs.follow_file import follow_file
from limen_tui.logs.lines import Batch

if TYPE_CHECKING:  # asyncssh (and logs/remote.py) load only when a remote log is opened
    import asyncssh

QEMU_LOG_DIR = "/var/log/libvirt/qemu"
DAEMON_LOG_FILES = ("/var/log/libvirt/libvirtd.log", "/var/log/libvirt/virtqemud.log")
"""Monolithic then modular daemon; the harness's libvirtd writes the first."""
JOURNAL_UNITS = ("libvirtd", "virtqemud", "virtlogd")
JOURNAL_DIR = "/run/systemd/journal"
"""Exists only while journald runs; `journalctl` alone may be installed without it."""
INITIAL_LINES = 200
PROBE_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class LogSource:
    """One log to follow: a file, or a command whose output is the log."""

    title: str
    path: str | None = None
    argv: tuple[str, ...] = ()
    note: str = ""
    """Something the operator should know before the first line (e.g. not there yet)."""


def qemu_log_path(vm_name: str, log_dir: str = QEMU_LOG_DIR) -> str:
    """Where libvirt's QEMU driver logs `vm_name`: its name as it is, plus `.log`."""
    # libvirt refuses names with '/', so these can only come from a confused caller; refusing
    # them keeps the path inside `log_dir` whatever the name.
    if not vm_name or "/" in vm_name or "\0" in vm_name:
        raise ValueError(f"not a VM name libvirt accepts: {vm_name!r}")
    return os.path.join(log_dir, f"{vm_name}.log")


def journal_argv(lines: int = INITIAL_LINES) -> tuple[str, ...]:
    units = [arg for unit in JOURNAL_UNITS for arg in ("-u", unit)]
    head = ["journalctl", "--no-pager", "-q", "-o", "short-iso", "-n", str(int(lines)), "-f"]
    return (*head, *units)


def choose_daemon_log(
    journald: bool, readable: Sequence[str], unreadable: Sequence[str] = (), lines: int = 200
) -> LogSource:
    """The journal if journald runs, else the first daemon log file that can be read."""
    if journald:
        return LogSource("libvirt daemons (journal)", argv=journal_argv(lines))
    if readable:
        return LogSource(f"libvirt daemon ({readable[0]})", path=readable[0])
    if unreadable:
        return LogSource(
            "libvirt daemon",
            path=unreadable[0],
            note=f"no journald, and {unreadable[0]} is not readable by this user",
        )
    return LogSource(
        "libvirt daemon",
        path=DAEMON_LOG_FILES[0],
        note="no journald and no daemon log file found; waiting for " + DAEMON_LOG_FILES[0],
    )


def _qemu_source(vm_name: str, path: str, exists: bool) -> LogSource:
    note = "" if exists else f"no QEMU log yet at {path}; it appears when the VM starts"
    return LogSource(f"QEMU log of {vm_name}", path=path, note=note)


# -- this host -------------------------------------------------------------------------------


def journald_available() -> bool:
    return shutil.which("journalctl") is not None and os.path.isdir(JOURNAL_DIR)


def local_daemon_log(
    *, log_files: Sequence[str] = DAEMON_LOG_FILES, lines: int = INITIAL_LINES
) -> LogSource:
    readable = [f for f in log_files if os.access(f, os.R_OK)]
    unreadable = [f for f in log_files if os.path.exists(f) and f not in readable]
    return choose_daemon_log(journald_available(), readable, unreadable, lines)


def local_qemu_log(vm_name: str, *, log_dir: str = QEMU_LOG_DIR) -> LogSource:
    path = qemu_log_path(vm_name, log_dir)
    return _qemu_source(vm_name, path, os.path.exists(path))


# -- a remote host ---------------------------------------------------------------------------

# $1: a QEMU log path to check ('' for none); the rest: daemon log files.
_PROBE_SCRIPT = r"""
if command -v journalctl >/dev/null 2>&1 && [ -d /run/systemd/journal ]
then echo journald=yes; else echo journald=no; fi
q=$1; shift
if [ -n "$q" ]; then if [ -e "$q" ]; then echo qemu_log=yes; else echo qemu_log=no; fi; fi
for f in "$@"; do
  if [ -r "$f" ]; then printf 'readable=%s\n' "$f"
  elif [ -e "$f" ]; then printf 'unreadable=%s\n' "$f"; fi
done
"""


@dataclass(frozen=True, slots=True)
class HostLogFacts:
    journald: bool
    readable: tuple[str, ...] = ()
    unreadable: tuple[str, ...] = ()
    qemu_log_exists: bool | None = None


def probe_argv(qemu_log: str | None, log_files: Sequence[str]) -> list[str]:
    return ["sh", "-c", _PROBE_SCRIPT, "sh", qemu_log or "", *log_files]


def parse_probe(output: str) -> HostLogFacts:
    values: dict[str, list[str]] = {}
    for line in output.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values.setdefault(key, []).append(value)
    qemu = values.get("qemu_log", [])
    return HostLogFacts(
        journald=values.get("journald") == ["yes"],
        readable=tuple(values.get("readable", [])),
        unreadable=tuple(values.get("unreadable", [])),
        qemu_log_exists=None if not qemu else qemu[0] == "yes",
    )


class ProbeFailed(Exception):
    """The host could not be asked where its logs are."""


async def probe_remote(
    conn: asyncssh.SSHClientConnection,
    *,
    qemu_log: str | None = None,
    log_files: Sequence[str] = DAEMON_LOG_FILES,
) -> HostLogFacts:
    """Ask the host, in one command, whether journald runs and which log files exist."""
    import asyncssh

    from limen_tui.logs.remote import remote_command

    command = remote_command(probe_argv(qemu_log, log_files))
    try:
        result = await conn.run(command, check=False, timeout=PROBE_TIMEOUT)
    except (asyncssh.Error, OSError) as exc:
        raise ProbeFailed(f"could not ask the host where its logs are: {exc}") from exc
    if result.exit_status != 0:
        said = str(result.stderr or "").strip().splitlines()
        raise ProbeFailed(
            f"the log probe ended with exit status {result.exit_status}"
            + (f": {said[-1]}" if said else "")
        )
    return parse_probe(str(result.stdout or ""))


async def remote_daemon_log(
    conn: asyncssh.SSHClientConnection,
    *,
    log_files: Sequence[str] = DAEMON_LOG_FILES,
    lines: int = INITIAL_LINES,
) -> LogSource:
    facts = await probe_remote(conn, log_files=log_files)
    return choose_daemon_log(facts.journald, facts.readable, facts.unreadable, lines)


async def remote_qemu_log(
    conn: asyncssh.SSHClientConnection, vm_name: str, *, log_dir: str = QEMU_LOG_DIR
) -> LogSource:
    path = qemu_log_path(vm_name, log_dir)
    facts = await probe_remote(conn, qemu_log=path, log_files=())
    return _qemu_source(vm_name, path, bool(facts.qemu_log_exists))


# -- following whichever it is ---------------------------------------------------------------


def follow(
    source: LogSource,
    conn: asyncssh.SSHClientConnection | None = None,
    *,
    lines: int = INITIAL_LINES,
) -> AsyncGenerator[Batch, None]:
    """Batches of `source`'s lines: here when `conn` is None, else on the host behind it."""
    if conn is None:
        if source.path is not None:
            return follow_file(source.path, lines=lines)
        return follow_command(source.argv)
    from limen_tui.logs.remote import follow_remote_command, follow_remote_file

    if source.path is not None:
        return follow_remote_file(conn, source.path, lines=lines)
    return follow_remote_command(conn, source.argv)
