"""The log panes' sources of one host: its QEMU log per VM and its daemon's log.

Here for this machine, over the host's own SSH link for a remote one: the link belongs to the
host, not to health, so remote logs work with `health = false`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TYPE_CHECKING

from limen_tui.logs.lines import Batch
from limen_tui.logs.sources import (
    follow,
    local_daemon_log,
    local_qemu_log,
    remote_daemon_log,
    remote_qemu_log,
)

if TYPE_CHECKING:  # asyncssh loads only when a remote host's log is opened
    from asyncssh import SSHClientConnection

    from limen_tui.hosts.ssh import SshLink

LogOpener = Callable[[], Awaitable[tuple[AsyncGenerator[Batch, None], str]]]
"""Opens a follower: (its batches of lines, a note saying what is followed)."""

SSH_WAIT_S = 10.0


class HostLogs:
    def __init__(self, key: str, local: bool, ssh: SshLink | None) -> None:
        self.key, self.local, self.ssh = key, local, ssh

    async def _connection(self) -> SSHClientConnection | None:
        """None for this machine; the host's shared SSH connection for a remote one."""
        if self.local:
            return None
        if self.ssh is None:
            raise RuntimeError(f"{self.key} has no SSH settings: add ssh to its [[hosts]] entry")
        return await self.ssh.connection(SSH_WAIT_S)

    def qemu_log(self, vm_name: str) -> LogOpener:
        async def open_it() -> tuple[AsyncGenerator[Batch, None], str]:
            conn = await self._connection()
            source = (
                local_qemu_log(vm_name) if conn is None else await remote_qemu_log(conn, vm_name)
            )
            return follow(source, conn), source.note or f"following {source.path}"

        return open_it

    def daemon_log(self) -> LogOpener:
        async def open_it() -> tuple[AsyncGenerator[Batch, None], str]:
            conn = await self._connection()
            source = local_daemon_log() if conn is None else await remote_daemon_log(conn)
            what = source.path or " ".join(source.argv)
            return follow(source, conn), source.note or f"following {what} on {self.key}"

        return open_it
