"""The per-host SSH link against a real sshd on 127.0.0.1: verification, keys, reconnect."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from limen_tui.hosts.ssh import SshLink, SshSettings, SshStatus, SshTarget, SshUnavailable
from limen_tui.model import LinkState
from tests.harness.sshd import SilentListener, SshServer, free_port

FAST = SshSettings(connect_timeout=1.5, keepalive_interval=1, ssh_config=None)


def target(sshd: SshServer, **changes: object) -> SshTarget:
    fields: dict[str, object] = {
        "name": "hv-test",
        "host": sshd.host,
        "port": sshd.port,
        "user": sshd.user,
        "key": sshd.key_path,
        "known_hosts": sshd.known_hosts_path,
    }
    fields.update(changes)
    return SshTarget(**fields)  # type: ignore[arg-type]


async def until(link: SshLink, state: LinkState, within: float) -> SshStatus:
    deadline = time.monotonic() + within
    while link.status.state is not state:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"still {link.status} after {within}s")
        await link.wait_change(left)
    return link.status


async def test_connects_and_reuses_one_connection(sshd: SshServer) -> None:
    statuses: list[SshStatus] = []
    link = SshLink(target(sshd), FAST, statuses.append)
    link.start()
    try:
        conn = await link.connection(5)
        result = await conn.run("echo hello", check=True)
        assert result.stdout == "hello\n"
        assert await link.connection(5) is conn
        assert [s.state for s in statuses] == [LinkState.LIVE]
    finally:
        await link.stop()


async def test_a_changed_host_key_is_refused_naming_host_and_file(sshd: SshServer) -> None:
    link = SshLink(target(sshd, known_hosts=sshd.wrong_known_hosts_path), FAST)
    link.start()
    try:
        with pytest.raises(SshUnavailable) as err:
            await link.connection(5)
        message = str(err.value)
        assert f"host key of hv-test (127.0.0.1:{sshd.port}) does not match" in message
        assert str(sshd.wrong_known_hosts_path) in message
        assert "refusing to connect" in message
        assert "SHA256:" in message  # the key it offered, to compare by hand
        assert link.status.state is LinkState.DOWN
    finally:
        await link.stop()


async def test_an_unknown_host_is_refused(sshd: SshServer, tmp_path: Path) -> None:
    other = tmp_path / "known_hosts"
    other.write_text("[127.0.0.1]:1 " + sshd.known_hosts_path.read_text().split(" ", 1)[1])
    link = SshLink(target(sshd, known_hosts=other), FAST)
    link.start()
    try:
        with pytest.raises(SshUnavailable) as err:
            await link.connection(5)
        assert f"host key of hv-test (127.0.0.1:{sshd.port}) is unknown" in str(err.value)
        assert f"[127.0.0.1]:{sshd.port} is not in {other}" in str(err.value)
    finally:
        await link.stop()


async def test_no_known_hosts_file_is_refused_too(sshd: SshServer, tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    link = SshLink(target(sshd, known_hosts=missing), FAST)
    link.start()
    try:
        with pytest.raises(SshUnavailable) as err:
            await link.connection(5)
        assert f"is not in {missing} (no such file)" in str(err.value)
    finally:
        await link.stop()


async def test_a_missing_key_file_is_named_before_connecting(
    sshd: SshServer, tmp_path: Path
) -> None:
    missing = tmp_path / "id_missing"
    link = SshLink(target(sshd, key=missing), FAST)
    link.start()
    try:
        with pytest.raises(SshUnavailable) as err:
            await link.connection(5)
        assert f"the SSH key {missing} does not exist" in str(err.value)
        assert "Accepted publickey" not in sshd.log_text()
    finally:
        await link.stop()


async def test_a_key_others_can_read_is_refused(sshd: SshServer, tmp_path: Path) -> None:
    loose = sshd.write_key_copy(tmp_path / "id_loose", 0o644)
    link = SshLink(target(sshd, key=loose), FAST)
    link.start()
    try:
        with pytest.raises(SshUnavailable) as err:
            await link.connection(5)
        assert f"the SSH key {loose} is readable by group or others (mode 0644)" in str(err.value)
        assert f"chmod 600 {loose}" in str(err.value)
    finally:
        await link.stop()


async def test_reconnects_after_sshd_restarts(sshd: SshServer) -> None:
    link = SshLink(target(sshd), FAST)
    link.start()
    try:
        first = await link.connection(5)
        await asyncio.to_thread(sshd.stop)
        down = await until(link, LinkState.DOWN, 5)
        assert "reconnecting" in down.reason
        await asyncio.to_thread(sshd.start)
        started = time.monotonic()
        await until(link, LinkState.LIVE, 10)
        took = time.monotonic() - started
        second = await link.connection(5)
        assert second is not first
        assert (await second.run("echo back", check=True)).stdout == "back\n"
        assert took < 3.0  # the first retry comes 1 s after the loss
    finally:
        await link.stop()


async def test_nothing_listening_is_down_at_once(sshd: SshServer) -> None:
    link = SshLink(target(sshd, name="gone", port=free_port()), FAST)
    link.start()
    started = time.monotonic()
    try:
        status = await until(link, LinkState.DOWN, 5)
        assert time.monotonic() - started < 1.0
        assert "refused the connection" in status.reason
        assert "retrying in 1s" in status.reason
    finally:
        await link.stop()


async def test_a_host_that_never_speaks_is_down_after_the_connect_timeout(
    sshd: SshServer, silent_listener: SilentListener
) -> None:
    link = SshLink(target(sshd, name="mute", port=silent_listener.port), FAST)
    link.start()
    started = time.monotonic()
    try:
        status = await until(link, LinkState.DOWN, 5)
        took = time.monotonic() - started
        assert 1.0 < took < FAST.connect_timeout + 0.5
        assert f"no SSH answer from mute (127.0.0.1:{silent_listener.port}) within 1.5s" in (
            status.reason
        )
    finally:
        await link.stop()


async def test_a_key_the_host_does_not_accept_is_named(sshd: SshServer) -> None:
    stranger = sshd.dir / "wrong_host_key"  # a valid key, just not in authorized_keys
    link = SshLink(target(sshd, key=stranger), FAST)
    link.start()
    try:
        with pytest.raises(SshUnavailable) as err:
            await link.connection(5)
        assert f"refused our key for {sshd.user}" in str(err.value)
    finally:
        await link.stop()


async def test_defaults_come_from_ssh_config(sshd: SshServer, tmp_path: Path) -> None:
    config = tmp_path / "ssh_config"
    config.write_text(
        "Host hv-alias\n"
        f"  HostName {sshd.host}\n"
        f"  Port {sshd.port}\n"
        f"  User {sshd.user}\n"
        f"  IdentityFile {sshd.key_path}\n"
        f"  UserKnownHostsFile {sshd.known_hosts_path}\n"
    )
    settings = SshSettings(connect_timeout=1.5, ssh_config=config)
    link = SshLink(SshTarget("hv", "hv-alias"), settings)
    link.start()
    try:
        conn = await link.connection(5)
        assert (await conn.run("echo via-config", check=True)).stdout == "via-config\n"
    finally:
        await link.stop()
