"""Follow a local file like `tail -F`: the last lines, then what is appended, across rotation
and truncation.

Polling, on purpose: the follower looks at its own one file every `poll_interval` (one
`stat` and one `fstat`), as `tail -F` does where inotify is missing. inotify would need a
binding outside the standard library and a thread of its own anyway, and a quarter of a
second is quick for a person reading a log. While the file grows the follower reads again at
once, without sleeping, so a flood is read as fast as it comes, in batches. Every file access
runs in a worker thread (`asyncio.to_thread`): a log on a hung NFS mount stalls that worker,
never the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import BinaryIO

from limen_tui.logs.lines import BATCH_LINES, Batch, LineSplitter, batches

POLL_INTERVAL = 0.25
READ_SIZE = 256 * 1024
INITIAL_LINES = 200


def last_lines(f: BinaryIO, n: int, size: int) -> bytes:
    """The bytes of the last `n` lines among the first `size` bytes of `f`.

    Reads backwards in blocks, so a 10 GB log costs a few reads, not 10 GB. A last line with
    no newline yet counts as a line.
    """
    if n <= 0 or size <= 0:
        return b""
    block = 64 * 1024
    end = size
    data = b""
    while end > 0:
        start = max(0, end - block)
        f.seek(start)
        data = f.read(end - start) + data
        end = start
        # Enough once the newline that ends the line before the first wanted one is in.
        if data.count(b"\n") > (n if data.endswith(b"\n") else n - 1):
            break
    parts = data.split(b"\n")
    return b"\n".join(parts[-(n + 1) :] if data.endswith(b"\n") else parts[-n:])


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


class FileTail:
    """The blocking half: one open file, where we are in it, and what it was called."""

    def __init__(self, path: str | os.PathLike[str], read_size: int = READ_SIZE) -> None:
        self.path = Path(path)
        self.read_size = read_size
        self._file: BinaryIO | None = None
        self._identity: tuple[int, int] | None = None  # (device, inode) of the open file
        self._pos = 0
        self._split = LineSplitter()
        self._said = ""  # the last complaint, so a file that stays away is reported once

    def close(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
        self._file = None

    def _open(self) -> str:
        """Open the file from its start; '' on success, else why not (in words)."""
        try:
            f = self.path.open("rb")
        except FileNotFoundError:
            return f"{self.path} does not exist (yet); waiting for it"
        except OSError as exc:
            return f"cannot open {self.path}: {_why(exc)}; trying again"
        st = os.fstat(f.fileno())
        self._file, self._identity, self._pos = f, (st.st_dev, st.st_ino), 0
        self._split = LineSplitter()
        self._said = ""
        return ""

    def _complain(self, why: str) -> str:
        """`why` the first time it happens, then silence until something changes."""
        if why == self._said:
            return ""
        self._said = why
        return why

    def start(self, n: int) -> tuple[list[str], str]:
        """Open the file and give its last `n` lines (or say why there are none)."""
        why = self._open()
        if why or self._file is None:
            return [], self._complain(why)
        try:
            size = os.fstat(self._file.fileno()).st_size
            kept = last_lines(self._file, n, size)
            self._file.seek(size)
        except OSError as exc:
            self.close()
            return [], self._complain(f"cannot read {self.path}: {_why(exc)}; trying again")
        self._pos = size
        return self._split.feed(kept), ""

    def step(self) -> tuple[list[str], str, bool]:
        """Read what is new: (lines, notice, more) where `more` means read again at once."""
        if self._file is None:
            why = self._open()
            if why:
                return [], self._complain(why), False
            return [], f"{self.path} appeared; following it from the start", True
        try:
            return self._read(self._file)
        except OSError as exc:  # an I/O error, a vanished mount: start over from the name
            self.close()
            return [], self._complain(f"cannot read {self.path}: {_why(exc)}; trying again"), False

    def _read(self, f: BinaryIO) -> tuple[list[str], str, bool]:
        if os.fstat(f.fileno()).st_size < self._pos:
            self._split.drop()
            f.seek(0)
            self._pos = 0
            return [], f"{self.path} was truncated; following it from the start", True
        data = f.read(self.read_size)
        if data:
            self._pos += len(data)
            return self._split.feed(data), "", True
        # At the end of the file we hold. If the name now points at another file (rotated:
        # renamed away and created anew), everything written to the old one has been read by
        # now, so switch to the new one from its first byte.
        try:
            st = os.stat(self.path)
        except OSError:
            return [], "", False  # renamed away, not recreated yet: keep the old one
        # A deleted file's inode number can be handed straight to its successor, so a file
        # we hold that no name points at any more counts as replaced too.
        replaced = (st.st_dev, st.st_ino) != self._identity or os.fstat(f.fileno()).st_nlink == 0
        if not replaced:
            return [], "", False
        rest = self._split.flush()
        self.close()
        why = self._open()
        if why:
            return rest, self._complain(why), False
        return rest, f"{self.path} was rotated; following the new file from the start", True


async def follow_file(
    path: str | os.PathLike[str],
    *,
    lines: int = INITIAL_LINES,
    poll_interval: float = POLL_INTERVAL,
    batch_lines: int = BATCH_LINES,
    read_size: int = READ_SIZE,
) -> AsyncGenerator[Batch, None]:
    """Yield the last `lines` lines of `path`, then new lines as they are written, forever.

    Stop it with `aclose()` (or by leaving an `async with contextlib.aclosing(...)`).
    """
    tail = FileTail(path, read_size)
    try:
        first, notice = await asyncio.to_thread(tail.start, lines)
        for batch in batches(first, batch_lines):
            yield batch
        if notice:
            yield Batch(notice=notice)
        pending: list[str] = []
        while True:
            new, notice, more = await asyncio.to_thread(tail.step)
            pending.extend(new)
            # Gather a flood into full batches; hand over what there is as soon as the file
            # has nothing more for now, or before a notice so the order stays true.
            while len(pending) >= batch_lines:
                yield Batch(pending[:batch_lines])
                pending = pending[batch_lines:]
            if pending and (notice or not more):
                yield Batch(pending)
                pending = []
            if notice:
                yield Batch(notice=notice)
            if not more:
                await asyncio.sleep(poll_interval)
    finally:
        tail.close()
