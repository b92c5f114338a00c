"""Following logs over a real SSH connection (OpenSSH on 127.0.0.1): quoting, cleaning,
remote errors in words, and no `tail` left behind on the host."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

import asyncssh

from limen_tui.logs.remote import follow_remote_command, follow_remote_file, remote_command
from limen_tui.logs.sources import follow, qemu_log_path, remote_daemon_log, remote_qemu_log
from tests.harness.sshd import SshServer
from tests.logs.helpers import Collected, collect_until, processes_with
from tests.logs.names import hostile_name


def write(path: Path, data: bytes, mode: str = "ab") -> None:
    with path.open(mode) as f:
        f.write(data)


def home_has(name: str) -> bool:
    return (Path.home() / name).exists()


def test_every_word_is_quoted() -> None:
    assert remote_command(["tail", "-n", "5", "-F", "--", "a b'c $(x)"]) == (
        "exec tail -n 5 -F -- 'a b'\"'\"'c $(x)'"
    )


async def test_hostile_vm_name_is_followed_without_injection(
    ssh_conn: asyncssh.SSHClientConnection, tmp_path: Path
) -> None:
    name, marker = hostile_name()
    path = Path(qemu_log_path(name, str(tmp_path)))
    write(
        path,
        b"2024-05-01 10:00:00.000+0000: starting up libvirt version: 9.0.0\n"
        b"LC_ALL=C qemu-system-x86_64 -name guest=" + name.encode() + b"\n"
        b"qemu-system-x86_64: [bold]not markup[/bold] \x1b[31mred\x1b[0m \x1b]0;title\x07\n",
        "wb",
    )
    source = await remote_qemu_log(ssh_conn, name, log_dir=str(tmp_path))
    assert source.path == str(path) and source.note == ""

    got = Collected()
    follower = follow(source, ssh_conn, lines=2)
    async with contextlib.aclosing(follower):
        await collect_until(follower, got, lambda g: len(g.lines) >= 2)
        assert got.lines == [
            f"LC_ALL=C qemu-system-x86_64 -name guest={name}",
            "qemu-system-x86_64: [bold]not markup[/bold] red ",
        ]
        write(path, b"appended \x07bell\n")
        await collect_until(follower, got, lambda g: "appended \\x07bell" in g.lines)

        # tail -F on the host follows the rotation and says so on its stderr
        os.rename(path, f"{path}.1")
        write(path, b"after rotation\n", "wb")
        await collect_until(
            follower,
            got,
            lambda g: "after rotation" in g.lines and any("new file" in n for n in g.notices),
        )
        assert await processes_with(marker.name, within=0) != []  # the remote tail runs

    assert await processes_with(marker.name) == []  # ... and is gone once the pane closes
    assert not marker.exists()
    assert not home_has(marker.name)


async def test_remote_stderr_and_exit_status_in_words(
    ssh_conn: asyncssh.SSHClientConnection,
) -> None:
    got = Collected()
    follower = follow_remote_command(
        ssh_conn, ["sh", "-c", "echo 'out [bold]'; echo oops >&2; exit 4"]
    )
    await collect_until(follower, got, lambda g: g.ended)
    assert got.lines == ["out [bold]"]
    assert got.notices == ["oops", "ended with exit status 4: oops"]


async def test_a_missing_remote_file_is_reported_then_followed(
    ssh_conn: asyncssh.SSHClientConnection, tmp_path: Path
) -> None:
    path = tmp_path / "not yet.log"
    got = Collected()
    follower = follow_remote_file(ssh_conn, str(path))
    async with contextlib.aclosing(follower):
        await collect_until(follower, got, lambda g: bool(g.notices))
        assert "No such file or directory" in got.notices[0]
        write(path, b"now it exists\n", "wb")
        await collect_until(follower, got, lambda g: "now it exists" in g.lines)


async def test_remote_daemon_log_without_journald_is_the_file(
    ssh_conn: asyncssh.SSHClientConnection, tmp_path: Path
) -> None:
    """This machine runs no journald (/run/systemd/journal is missing), so the one probe
    finds the daemon's log file, as it would on any host without journald."""
    log = tmp_path / "libvirtd.log"
    write(log, b"2024-05-01 10:00:00.000+0000: 1: error : boom\n", "wb")
    source = await remote_daemon_log(ssh_conn, log_files=[str(tmp_path / "gone.log"), str(log)])
    assert source.path == str(log) and source.argv == ()
    got = Collected()
    follower = follow(source, ssh_conn)
    async with contextlib.aclosing(follower):
        await collect_until(follower, got, lambda g: bool(g.lines))
    assert got.lines == ["2024-05-01 10:00:00.000+0000: 1: error : boom"]


async def test_the_host_going_away_ends_the_follower_in_words(
    sshd: SshServer, ssh_conn: asyncssh.SSHClientConnection, tmp_path: Path
) -> None:
    log = tmp_path / "vm.log"
    write(log, b"before\n", "wb")
    got = Collected()
    follower = follow_remote_file(ssh_conn, str(log))
    async with contextlib.aclosing(follower):
        await collect_until(follower, got, lambda g: g.lines == ["before"])
        await asyncio.to_thread(sshd.stop)  # kills the server and its session processes
        await collect_until(follower, got, lambda g: g.ended)
    assert got.notices[-1] == "ended: the SSH connection failed: Connection lost"
