"""Health of a remote Linux host through one long-running command over SSH.

Opening an SSH session costs about a quarter of a second here (sshd forks, the login shell
starts), so the host is not asked once per sample: one small POSIX sh loop prints /proc's
counters between markers every `interval` seconds, and the console reads the stream. When the
channel closes, the loop's next write fails (SIGPIPE) and it ends: nothing is left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import time

import asyncssh

from limen_tui.hosts.health import HealthSample, RawReading, sample_from
from limen_tui.hosts.procfs import parse_block

BEGIN = "@@limen begin"
END = "@@limen end"
NO_PROC = "@@limen no-proc"

_SCRIPT = """\
P={proc}
if [ ! -r "$P/stat" ]; then echo "{no_proc} $(uname -s 2>/dev/null)"; exit 3; fi
T=""
# A hung network mount must not stall the stream: df gets 5 s, if `timeout` exists.
if command -v timeout >/dev/null 2>&1; then T="timeout 5"; fi
while :; do
  echo "{begin}"
  echo "@@ stat"; grep '^cpu' "$P/stat"
  echo "@@ meminfo"; cat "$P/meminfo"
  echo "@@ loadavg"; cat "$P/loadavg"
  echo "@@ uptime"; cat "$P/uptime"
  echo "@@ netdev"; cat "$P/net/dev"
  echo "@@ diskstats"; cat "$P/diskstats"
  echo "@@ block"; ls /sys/block 2>/dev/null
  echo "@@ mounts"; cat "$P/mounts"
  echo "@@ df"; $T df -P -k -l 2>/dev/null || $T df -P -k 2>/dev/null
  echo "{end}"
  sleep {interval} || exit 0
done
"""


class NotLinux(Exception):
    """The host has no /proc; remote health reads Linux's."""


class StreamEnded(Exception):
    """The remote sampling command stopped; the message says what it said last."""


def health_command(interval: float, proc: str = "/proc") -> str:
    """The command line that streams samples; `proc` is for tests (a host without /proc)."""
    script = _SCRIPT.format(
        proc=shlex.quote(proc),
        no_proc=NO_PROC,
        begin=BEGIN,
        end=END,
        interval=f"{interval:g}",
    )
    # Whatever the login shell is (bash, zsh, fish), it can run `sh -c '...'`.
    return f"exec sh -c {shlex.quote(script)}"


def not_linux_reason(line: str) -> str:
    system = line[len(NO_PROC) :].strip()
    said = f" (it says it is {system})" if system else ""
    return f"this host has no /proc: not Linux? remote health needs Linux{said}"


class RemoteHealthStream:
    """The sampling command on one connection; `next_sample()` returns each block's sample."""

    def __init__(
        self, conn: asyncssh.SSHClientConnection, interval: float, *, proc: str = "/proc"
    ) -> None:
        self._conn = conn
        self._command = health_command(interval, proc)
        self._process: asyncssh.SSHClientProcess[str] | None = None
        self._lines: list[str] = []
        self._in_block = False
        self._last: RawReading | None = None

    async def start(self) -> None:
        self._process = await self._conn.create_process(
            self._command, stdin=asyncssh.DEVNULL, encoding="utf-8", errors="replace"
        )

    async def next_sample(self) -> HealthSample:
        """Wait for the next complete block. Raises NotLinux or StreamEnded."""
        reading = await self.next_reading()
        sample = sample_from(self._last, reading)
        self._last = reading
        return sample

    async def next_reading(self) -> RawReading:
        process = self._process
        if process is None:
            raise StreamEnded("the health stream was not started")
        while True:
            line = await process.stdout.readline()
            if not line:
                raise StreamEnded(await self._why_ended(process))
            line = line.rstrip("\n")
            if line == BEGIN:
                self._lines, self._in_block = [], True
            elif line == END and self._in_block:
                self._in_block = False
                return parse_block(self._lines, arrived=time.monotonic(), wall=time.time())
            elif line.startswith(NO_PROC):
                raise NotLinux(not_linux_reason(line))
            elif self._in_block:
                self._lines.append(line)

    async def _why_ended(self, process: asyncssh.SSHClientProcess[str]) -> str:
        with contextlib.suppress(asyncio.TimeoutError, asyncssh.Error, OSError):
            await asyncio.wait_for(process.wait_closed(), 1.0)
        status = process.exit_status
        with contextlib.suppress(asyncio.TimeoutError, asyncssh.Error, OSError):
            said = (await asyncio.wait_for(process.stderr.read(), 1.0)).strip()
            if said:
                return f"the health command ended: {said.splitlines()[-1]}"
        if status is not None and status >= 0:
            return f"the health command ended with exit status {status}"
        return "the health stream closed"

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.close()
