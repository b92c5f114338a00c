"""A root shell on a guest's serial port, driven by the test: send a command, wait for its marker.

The guest's ``<serial type='pty'>`` is a pseudo-terminal on this host; the harness opens it
directly (raw mode, so the host side neither echoes nor edits lines) and a reader thread drains
it all the time, so the guest's UART never stalls on a full buffer. ``virsh console`` needs a
terminal; libvirt's console stream would take the serial port from the console under test.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import termios
import threading
import time
import tty

_MAX_BUFFER = 1 << 20


class SerialTimeout(TimeoutError):
    """The guest did not print what was waited for; carries the tail of what it did print."""


class SerialShell:
    """Commands in, output out, over a guest's serial pty."""

    def __init__(self, pty_path: str) -> None:
        self.path = pty_path
        self._fd = os.open(pty_path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self._fd, termios.TCSANOW)
        self._buffer = bytearray()
        self._cond = threading.Condition()
        self._closed = False
        self._seq = itertools.count(1)
        self._reader = threading.Thread(target=self._read, name=f"serial {pty_path}", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while not self._closed:
            try:
                chunk = os.read(self._fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                # The guest went away (EIO once QEMU closed the pty's other side).
                with self._cond:
                    self._closed = True
                    self._cond.notify_all()
                return
            with self._cond:
                self._buffer += chunk
                if len(self._buffer) > _MAX_BUFFER:
                    del self._buffer[: len(self._buffer) - _MAX_BUFFER // 2]
                self._cond.notify_all()

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            os.close(self._fd)

    def write(self, text: str) -> None:
        os.write(self._fd, text.encode())

    def tail(self, chars: int = 2000) -> str:
        with self._cond:
            return self._buffer[-chars:].decode(errors="replace")

    def expect(self, pattern: str, timeout: float, *, since: int = 0) -> re.Match[str]:
        """Wait until ``pattern`` (a regex) appears in the output after offset ``since``."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                text = self._buffer[since:].decode(errors="replace")
                match = regex.search(text)
                if match is not None:
                    return match
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise SerialTimeout(
                        f"no {pattern!r} on {self.path} within {timeout:.0f}s; "
                        f"last output:\n{self.tail()}"
                    )
                self._cond.wait(left)

    def mark(self) -> int:
        """An offset into the output: :meth:`expect` after it ignores what came before."""
        with self._cond:
            return len(self._buffer)

    def run(self, command: str, timeout: float = 30.0) -> str:
        """Run ``command`` in the guest's shell; return its output; raise if it fails.

        The end marker is built by ``printf`` from two words, so the echo of the typed line
        never matches it.
        """
        n = next(self._seq)
        start = self.mark()
        sep = " " if command.rstrip().endswith("&") else "; "
        self.write(f"{command}{sep}printf '%s_%s_%s\\n' LIMEN {n} $?\r")
        match = self.expect(rf"(?s)^(.*?)LIMEN_{n}_(\d+)\r?\n", timeout, since=start)
        output, status = match.group(1), int(match.group(2))
        # The shell echoes the typed line (after its prompt); the output starts on the next.
        echo_end = output.find(f"LIMEN {n} $?")
        body = output[echo_end:].split("\n", 1)[1] if "\n" in output[echo_end:] else ""
        body = body.replace("\r", "")
        if status != 0:
            raise RuntimeError(f"guest command {command!r} exited {status}:\n{body}")
        return body

    def wait_for_shell(self, timeout: float) -> None:
        """Until the shell answers: the tty drops what is typed before the shell opens it, so
        a probe is sent again every half second until its marker comes back."""
        deadline = time.monotonic() + timeout
        while True:
            n = next(self._seq)
            start = self.mark()
            self.write(f"printf '%s_%s\\n' SHELL {n}\r")
            try:
                self.expect(rf"SHELL_{n}\r?\n", 0.5, since=start)
                return
            except SerialTimeout:
                if time.monotonic() >= deadline or self._closed:
                    raise SerialTimeout(
                        f"no shell on {self.path} within {timeout:.0f}s; "
                        f"last output:\n{self.tail()}"
                    ) from None
