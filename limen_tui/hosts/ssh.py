"""One SSH connection per host, kept open and reused by everything that needs the host
(health now, log streams later), with keepalive, reconnect with backoff and a visible state.

Host keys are always verified against a known_hosts file: an unknown or changed key is refused
with a message naming the host and the file, never accepted. The client key is checked before
connecting (it exists, and no one but its owner can read it, as OpenSSH itself insists).
Options the target leaves out come from ~/.ssh/config, as far as asyncssh reads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from limen_tui.hosts.ssh_target import (
    DEFAULT_KNOWN_HOSTS,
    DEFAULT_SSH_CONFIG,
    GLOBAL_KNOWN_HOSTS,
    SshError,
    SshSettings,
    SshStatus,
    SshTarget,
    SshUnavailable,
    check_private_key,
    host_key_sentence,
    known_hosts_pattern,
)
from limen_tui.model import LinkState
from limen_tui.model.backoff import Backoff

__all__ = [  # the plain parts, named here too for callers that already hold asyncssh
    "DEFAULT_KNOWN_HOSTS",
    "DEFAULT_SSH_CONFIG",
    "GLOBAL_KNOWN_HOSTS",
    "SshError",
    "SshLink",
    "SshSettings",
    "SshStatus",
    "SshTarget",
    "SshUnavailable",
    "check_private_key",
    "host_key_sentence",
    "known_hosts_pattern",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What a connection attempt will use, resolved from the target and ~/.ssh/config."""

    host: str
    port: int
    user: str
    config: list[str] | None
    known_hosts: Path
    """The operator's file: named in messages, where a key would be added or removed."""
    trusted_files: list[str]
    """Every known_hosts file that exists (the operator's and, by default, the system's)."""


def _plan(target: SshTarget, settings: SshSettings) -> _Plan:
    """Blocking (reads ssh_config and stats files): run it in a thread."""
    if target.key is not None:
        check_private_key(target.key.expanduser())
    config: list[str] | None = None
    if settings.ssh_config is not None:
        path = settings.ssh_config.expanduser()
        config = [str(path)] if path.is_file() else None
    try:
        options = asyncssh.SSHClientConnectionOptions(
            config=config, host=target.host, port=target.port or (), username=target.user or ()
        )
    except (OSError, ValueError, asyncssh.Error) as exc:
        raise SshError(f"cannot use the ssh config {config}: {exc}") from None
    if target.known_hosts is not None:
        files = [target.known_hosts.expanduser()]
    else:
        # ssh_config may name files (UserKnownHostsFile, GlobalKnownHostsFile); "none" there
        # would mean "trust anything", which this console never does: then OpenSSH's defaults.
        named = options.known_hosts if isinstance(options.known_hosts, list) else []
        files = [Path(f).expanduser() for f in named] or [
            DEFAULT_KNOWN_HOSTS.expanduser(),
            GLOBAL_KNOWN_HOSTS,
        ]
    trusted = [str(f) for f in files if f.is_file()]
    return _Plan(options.host, options.port, options.username, config, files[0], trusted)


def _host_key_reason(target: SshTarget, plan: _Plan, offered: str) -> str:
    """Blocking (reads known_hosts again to tell "changed" from "unknown"): use a thread."""
    try:
        known = asyncssh.read_known_hosts(plan.trusted_files)
        trusted = known.match(plan.host, plan.host, plan.port)[0] if plan.trusted_files else []
    except (OSError, ValueError):
        trusted = []
    return host_key_sentence(
        target.name,
        plan.host,
        plan.port,
        plan.known_hosts,
        offered,
        changed=bool(trusted),
        file_exists=bool(plan.trusted_files),
    )


class _Client(asyncssh.SSHClient):
    """Remembers the key a refused host offered (for the message) and why the link ended."""

    def __init__(self) -> None:
        self.offered = ""
        self.lost: Exception | None = None

    def validate_host_public_key(
        self, host: str, addr: str, port: int, key: asyncssh.SSHKey
    ) -> bool:
        # Called only for a key not in known_hosts; the answer stays no.
        self.offered = key.get_fingerprint()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = exc


class SshLink:
    """One host's SSH connection: connects, stays up, reconnects; consumers share it."""

    def __init__(
        self,
        target: SshTarget,
        settings: SshSettings | None = None,
        on_status: Callable[[SshStatus], None] | None = None,
    ) -> None:
        self.target = target
        self.settings = settings or SshSettings()
        self._on_status = on_status
        self._conn: asyncssh.SSHClientConnection | None = None
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._dropped: str | None = None
        self.status = SshStatus(target.name, LinkState.CONNECTING, "", time.time())

    # -- for consumers -----------------------------------------------------------------------

    def start(self) -> asyncio.Task[None]:
        if self._task is None:
            name = f"ssh {self.target.name}"
            self._task = asyncio.get_running_loop().create_task(self._run(), name=name)
        return self._task

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.wait_closed(), 2.0)

    async def connection(self, within: float) -> asyncssh.SSHClientConnection:
        """The live connection; waits while connecting (up to `within` seconds), raises
        SshUnavailable at once while the host is down (with the reason)."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            if self.status.state is LinkState.LIVE and self._conn is not None:
                return self._conn
            if self.status.state is LinkState.DOWN:
                raise SshUnavailable(self.status.reason)
            left = deadline - asyncio.get_running_loop().time()
            try:
                await asyncio.wait_for(self._changed.wait(), max(left, 0.0))
            except TimeoutError:
                raise SshUnavailable(
                    f"no SSH answer from {self.target.name} within {within:g}s"
                ) from None

    async def wait_change(self, within: float | None = None) -> SshStatus:
        """Wait for the next state change (or `within` seconds); returns the status then."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), within)
        return self.status

    def drop(self, reason: str) -> None:
        """A consumer found the connection useless (no answer): close it and reconnect."""
        conn = self._conn
        if conn is not None and self._dropped is None:
            self._dropped = reason
            conn.abort()

    # -- the connection's life ---------------------------------------------------------------

    def _set(self, state: LinkState, reason: str) -> None:
        self.status = SshStatus(self.target.name, state, reason, time.time())
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
        if self._on_status is not None:
            self._on_status(self.status)

    async def _run(self) -> None:
        s = self.settings
        backoff = Backoff(s.reconnect_min, s.reconnect_max)
        while not self._stopping:
            if self.status.state is not LinkState.CONNECTING:
                self._set(LinkState.CONNECTING, "")
            try:
                conn, client = await self._connect()
            except Exception as exc:
                if not isinstance(exc, SshError):  # a bug, or a failure nobody foresaw
                    log.exception("%s: connecting failed", self.target.name)
                reason = exc.reason if isinstance(exc, SshError) else f"cannot connect: {exc}"
                delay = backoff.next()
                self._set(LinkState.DOWN, f"{reason}; retrying in {delay:g}s")
                await asyncio.sleep(delay)
                continue
            backoff.reset()
            self._conn, self._dropped = conn, None
            self._set(LinkState.LIVE, "")
            await conn.wait_closed()
            self._conn = None
            if self._stopping:
                return
            reason = self._dropped or _lost_reason(client.lost)
            self._set(LinkState.DOWN, f"{reason}; reconnecting in {backoff.current:g}s")
            await asyncio.sleep(backoff.current)

    async def _connect(self) -> tuple[asyncssh.SSHClientConnection, _Client]:
        target, s = self.target, self.settings
        plan = await asyncio.to_thread(_plan, target, s)
        client = _Client()
        where = f"{target.name} ({plan.host}:{plan.port})"
        try:
            conn = await asyncio.wait_for(
                asyncssh.connect(
                    target.host,
                    port=target.port or (),
                    username=target.user or (),
                    client_keys=[str(target.key.expanduser())] if target.key else (),
                    # No file yet: trust nothing, and let the refusal show the offered key.
                    known_hosts=plan.trusted_files or b"",
                    config=plan.config,
                    connect_timeout=s.connect_timeout,
                    keepalive_interval=s.keepalive_interval,
                    keepalive_count_max=s.keepalive_count_max,
                    client_factory=lambda: client,
                ),
                s.connect_timeout + 1.0,  # asyncssh's own timeout should fire first
            )
        except asyncssh.HostKeyNotVerifiable:
            reason = await asyncio.to_thread(_host_key_reason, target, plan, client.offered)
            raise SshError(reason) from None
        except asyncssh.PermissionDenied:
            raise SshError(
                f"{where} refused our key for {plan.user} (not in authorized_keys?)"
            ) from None
        except asyncssh.KeyImportError as exc:
            raise SshError(f"cannot use the SSH key {target.key}: {exc}") from None
        except asyncssh.DisconnectError as exc:
            raise SshError(f"{where} closed the connection: {exc.reason}") from None
        except TimeoutError:
            raise SshError(f"no SSH answer from {where} within {s.connect_timeout:g}s") from None
        except ConnectionRefusedError:
            raise SshError(f"{where} refused the connection (no sshd listening?)") from None
        except OSError as exc:
            raise SshError(f"cannot reach {where}: {exc.strerror or exc}") from None
        except (ValueError, asyncssh.Error) as exc:
            raise SshError(f"cannot connect to {where}: {exc}") from None
        return conn, client


def _lost_reason(exc: Exception | None) -> str:
    if exc is None:
        return "the host closed the connection"
    if isinstance(exc, asyncssh.DisconnectError):
        return f"connection lost: {exc.reason}"
    return f"connection lost: {exc}"
