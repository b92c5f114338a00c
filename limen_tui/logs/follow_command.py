"""Follow a local command's output (`journalctl -f ...`), as batches of clean lines."""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import signal
from collections.abc import AsyncGenerator, Sequence

from limen_tui.logs.lines import BATCH_LINES, Batch
from limen_tui.logs.output import READ_SIZE, OutputPump, describe_exit

STOP_TIMEOUT = 2.0


async def _stop(proc: asyncio.subprocess.Process) -> None:
    """TERM, and KILL if it lingers: a follower must not outlive its pane."""
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    try:
        await asyncio.wait_for(proc.wait(), STOP_TIMEOUT)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


async def follow_command(
    argv: Sequence[str],
    *,
    batch_lines: int = BATCH_LINES,
    read_size: int = READ_SIZE,
) -> AsyncGenerator[Batch, None]:
    """Run `argv` here (no shell) and yield its output; the last batch says why it ended.

    Closing the iterator ends the command.
    """
    try:
        # A session of its own, so a Ctrl-C meant for the console never reaches it.
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        yield Batch(notice=f"could not run {shlex.join(argv)}: {exc}", ended=True)
        return
    assert proc.stdout is not None and proc.stderr is not None
    pump = OutputPump(proc.stdout, proc.stderr, batch_lines=batch_lines, read_size=read_size)
    try:
        async with contextlib.aclosing(pump.batches()) as output:
            async for batch in output:
                yield batch
        status = await proc.wait()
    finally:
        await _stop(proc)
    sig = signal.Signals(-status).name if status < 0 else None
    yield Batch(notice=describe_exit(None if sig else status, sig, pump.last_stderr), ended=True)
