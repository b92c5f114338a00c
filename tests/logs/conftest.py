"""A client connection to the real sshd (tests/conftest.py's `sshd`), as a host session
would hold one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncssh
import pytest

from tests.harness.sshd import SshServer


@pytest.fixture
async def ssh_conn(sshd: SshServer) -> AsyncIterator[asyncssh.SSHClientConnection]:
    conn = await asyncssh.connect(
        sshd.host,
        port=sshd.port,
        username=sshd.user,
        client_keys=[str(sshd.key_path)],
        known_hosts=str(sshd.known_hosts_path),
    )
    try:
        yield conn
    finally:
        conn.close()
        await conn.wait_closed()
