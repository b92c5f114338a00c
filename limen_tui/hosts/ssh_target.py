"""What an SSH link is made of, as plain data: where a host's sshd is, the link's settings and
state, and the sentences that say why a connection was refused.

Apart from hosts/ssh.py (which imports asyncssh and its cryptography, a few hundred ms) so
that the config, the fleet and the console can name an SSH target without loading asyncssh:
a session on this machine or the demo never does.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from limen_tui.model import LinkState

DEFAULT_SSH_CONFIG = Path("~/.ssh/config")
DEFAULT_KNOWN_HOSTS = Path("~/.ssh/known_hosts")
GLOBAL_KNOWN_HOSTS = Path("/etc/ssh/ssh_known_hosts")


@dataclass(frozen=True, slots=True)
class SshTarget:
    """Where a host's sshd is. None: from ~/.ssh/config, else OpenSSH's default."""

    name: str
    """The host's name in the console (also how messages name it)."""
    host: str
    port: int | None = None
    user: str | None = None
    key: Path | None = None
    known_hosts: Path | None = None


@dataclass(frozen=True, slots=True)
class SshSettings:
    connect_timeout: float = 10.0
    """Seconds for TCP connect, SSH banner, key exchange and login together."""
    keepalive_interval: float = 5.0
    keepalive_count_max: int = 3
    """Unanswered keepalives before the connection counts as dead (here: after 15 s)."""
    reconnect_min: float = 1.0
    reconnect_max: float = 30.0
    ssh_config: Path | None = DEFAULT_SSH_CONFIG
    """None reads no ssh_config at all (tests)."""


@dataclass(frozen=True, slots=True)
class SshStatus:
    host: str
    state: LinkState
    """connecting, live or down (SSH has no "stale")."""
    reason: str
    since: float
    """Wall-clock seconds when this state began."""


class SshError(Exception):
    """The connection could not be made; `reason` says why in the operator's words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SshUnavailable(SshError):
    """Asked for the connection while the host is not live."""


def check_private_key(path: Path) -> None:
    """Refuse a key that is missing or that others can read, before any connection."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise SshError(f"the SSH key {path} does not exist") from None
    except OSError as exc:
        raise SshError(f"cannot read the SSH key {path}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise SshError(f"the SSH key {path} is not a file")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise SshError(
            f"the SSH key {path} is readable by group or others (mode {mode:04o}); "
            f"OpenSSH refuses such a key too: chmod 600 {path}"
        )
    if not os.access(path, os.R_OK):
        raise SshError(f"cannot read the SSH key {path}: permission denied")


def host_key_sentence(
    name: str,
    host: str,
    port: int,
    known_hosts: Path,
    offered: str,
    *,
    changed: bool,
    file_exists: bool,
) -> str:
    """Why a host key was refused and the command that fixes it, in one sentence; the same
    words for this link and for libvirt's own `+ssh` transport."""
    where = f"{name} ({host}:{port})"
    fingerprint = f" (it offered {offered})" if offered else ""
    pattern = known_hosts_pattern(host, port)
    if changed:
        return (
            f"host key of {where} does not match the one in {known_hosts}{fingerprint}: "
            f"refusing to connect (it may be an impostor; if the host was reinstalled, "
            f"remove the old key with ssh-keygen -R {pattern} -f {known_hosts})"
        )
    missing = "" if file_exists else " (no such file)"
    return (
        f"host key of {where} is unknown: {pattern} is not in {known_hosts}"
        f"{missing}{fingerprint}; refusing to connect (check the fingerprint, then add it with "
        f"ssh-keyscan -p {port} {host} >> {known_hosts})"
    )


def known_hosts_pattern(host: str, port: int) -> str:
    """How known_hosts names a host (a port other than 22 goes in brackets)."""
    return host if port == 22 else f"[{host}]:{port}"
