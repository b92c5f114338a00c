"""Follow a file or a command on a remote host, over the host's existing SSH connection.

The connection is the caller's (one per host, owned by its session); this only opens a
channel on it. The remote side runs the command through the login shell, so every argument
is quoted with `shlex.quote`: a VM may be called `a b`, `it's` or `$(reboot)`, and its log
path holds that name as it is. `exec` makes the command itself the channel's process, so the
TERM sent when the operator closes the pane reaches `tail`, not a shell that would leave it
running on the host.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
from collections.abc import AsyncGenerator, Sequence

import asyncssh

from limen_tui.logs.lines import BATCH_LINES, Batch
from limen_tui.logs.output import READ_SIZE, OutputPump, describe_exit

CLOSE_TIMEOUT = 2.0


def remote_command(argv: Sequence[str]) -> str:
    """One shell command line that runs exactly `argv`, every word quoted."""
    if not argv:
        raise ValueError("no command to run")
    return "exec " + " ".join(shlex.quote(word) for word in argv)


def tail_argv(path: str, lines: int) -> list[str]:
    return ["tail", "-n", str(int(lines)), "-F", "--", path]


async def _stop(process: asyncssh.SSHClientProcess[bytes]) -> None:
    """End the remote command if it still runs: TERM, then close the channel."""
    if process.exit_status is None and process.exit_signal is None:
        with contextlib.suppress(asyncssh.Error, OSError):
            process.send_signal("TERM")
    process.close()
    with contextlib.suppress(asyncssh.Error, OSError, TimeoutError):
        await asyncio.wait_for(process.wait_closed(), CLOSE_TIMEOUT)


async def follow_remote_command(
    conn: asyncssh.SSHClientConnection,
    argv: Sequence[str],
    *,
    batch_lines: int = BATCH_LINES,
    read_size: int = READ_SIZE,
) -> AsyncGenerator[Batch, None]:
    """Run `argv` on the host and yield its output as batches of clean lines.

    The last batch has `ended=True` and says why in its notice (exit status, the command's
    last words on stderr, or the connection that closed). Closing the iterator ends the
    remote command.
    """
    command = remote_command(argv)
    try:
        process = await conn.create_process(command, encoding=None)
    except (asyncssh.Error, OSError) as exc:
        yield Batch(notice=f"could not run {shlex.join(argv)}: {exc}", ended=True)
        return
    pump = OutputPump(process.stdout, process.stderr, batch_lines=batch_lines, read_size=read_size)
    try:
        process.stdin.write_eof()
        async with contextlib.aclosing(pump.batches()) as output:
            async for batch in output:
                yield batch
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait_closed(), CLOSE_TIMEOUT)
        signal = process.exit_signal[0] if process.exit_signal else None
        notice = describe_exit(process.exit_status, signal, pump.last_stderr)
    except (asyncssh.Error, OSError) as exc:
        notice = f"ended: the SSH connection failed: {exc}"
    finally:
        await _stop(process)
    yield Batch(notice=notice, ended=True)


async def follow_remote_file(
    conn: asyncssh.SSHClientConnection,
    path: str,
    *,
    lines: int = 200,
    batch_lines: int = BATCH_LINES,
) -> AsyncGenerator[Batch, None]:
    """`tail -n LINES -F -- PATH` on the host: the last lines, then new ones, across rotation."""
    command = follow_remote_command(conn, tail_argv(path, lines), batch_lines=batch_lines)
    async with contextlib.aclosing(command):
        async for batch in command:
            yield batch
