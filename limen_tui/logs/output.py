"""A running command's stdout and stderr as batches of clean lines, local or over SSH.

stdout is the log; stderr is the command talking about itself (`tail: 'x' has become
inaccessible`), so its lines come as notices, and its last line is kept to explain an exit.
Both pipes are read at once, so a command that fills its stderr pipe cannot stall its log.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Protocol

from limen_tui.logs.clean import clean_line
from limen_tui.logs.lines import BATCH_LINES, Batch, LineSplitter

READ_SIZE = 64 * 1024
NOTICES_PER_READ = 20
"""At most this many stderr lines become notices per read; the rest are counted."""


class ByteReader(Protocol):
    """What asyncio's StreamReader and asyncssh's SSHReader (with encoding=None) both are."""

    async def read(self, n: int = -1) -> bytes: ...


class OutputPump:
    """Reads a command's two pipes until both end."""

    def __init__(
        self,
        stdout: ByteReader,
        stderr: ByteReader,
        *,
        batch_lines: int = BATCH_LINES,
        read_size: int = READ_SIZE,
    ) -> None:
        self._stdout, self._stderr = stdout, stderr
        self.batch_lines = batch_lines
        self.read_size = read_size
        self.last_stderr = ""
        """The command's last word on stderr, to explain why it ended."""

    def _stderr_notices(self, lines: list[str]) -> list[Batch]:
        said = [line for line in lines if line.strip()]
        if said:
            self.last_stderr = said[-1]
        out = [Batch(notice=line) for line in said[:NOTICES_PER_READ]]
        if len(said) > NOTICES_PER_READ:
            out.append(Batch(notice=f"... {len(said) - NOTICES_PER_READ} more lines on stderr"))
        return out

    async def batches(self) -> AsyncGenerator[Batch, None]:
        out_lines, err_lines = LineSplitter(), LineSplitter()
        reads: dict[asyncio.Future[bytes], bool] = {
            asyncio.ensure_future(self._stdout.read(self.read_size)): False,
            asyncio.ensure_future(self._stderr.read(self.read_size)): True,
        }
        try:
            while reads:
                done, _ = await asyncio.wait(reads, return_when=asyncio.FIRST_COMPLETED)
                # stdout first, so a notice never jumps ahead of lines that were already there
                for fut in sorted(done, key=lambda f: reads[f]):
                    is_err = reads.pop(fut)
                    data = fut.result()
                    splitter = err_lines if is_err else out_lines
                    lines = splitter.feed(data) if data else splitter.flush()
                    if is_err:
                        for notice in self._stderr_notices(lines):
                            yield notice
                    else:
                        for start in range(0, len(lines), self.batch_lines):
                            yield Batch(lines[start : start + self.batch_lines])
                    if data:
                        reader = self._stderr if is_err else self._stdout
                        reads[asyncio.ensure_future(reader.read(self.read_size))] = is_err
        finally:
            for fut in reads:
                fut.cancel()
            # Collect them, so a read that failed as we left is not reported as unretrieved.
            await asyncio.gather(*reads, return_exceptions=True)


def describe_exit(status: int | None, signal: str | None, last_stderr: str = "") -> str:
    """Why a followed command ended, in one line."""
    if signal:
        what = f"ended: killed by signal {signal}"
    elif status is None:
        what = "ended without an exit status (the connection closed?)"
    elif status == 0:
        what = "ended"
    else:
        what = f"ended with exit status {status}"
    if last_stderr and status != 0:
        what += f": {clean_line(last_stderr)}"
    return what
