"""Move bytes between a non-blocking libvirt stream and a consumer's asyncio loop.

The pattern is virsh console's (tools/virsh-console.c): the stream's event callback runs on
the libvirt event thread, reads what is there with `recv` until it would block (-2), and
sends what the operator typed when the stream is writable. Everything that touches the
stream's callback runs on that one thread, so a callback is never mid-flight while it is
removed, and libvirtaio's timers are only ever created on their own loop (from another
thread they are neither thread-safe nor wake the loop; see eventloop.py).

What the stream delivers is handed to the consumer's loop with `call_soon_threadsafe`, and
coalesced: while one hand-off waits for the consumer's loop, newer bytes join it rather than
queue a call of their own. A real console sends a few bytes per message (a booting iPXE:
910 bytes in about 340 wake-ups), so a busy UI loop gets one call with all of them.

Stopping is the one blocking part: `abort`/`finish` are round trips to the daemon, so `stop()`
runs in a worker thread, never on the event thread, where a dead host's round trip would
hold up every other host's events.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable

import libvirt

from limen_tui.virt.connection import describe_error
from limen_tui.virt.eventloop import ensure_event_loop

READ_SIZE = 64 * 1024
"""Bytes asked of `recv` per call, chosen by benchmarks/logs.py: the smallest size within 10%
of the fastest. A 64 MiB stream over qemu:///system, medians of 5: 1 KiB 99 MiB/s, 4 KiB 250,
16 KiB 351, 64 KiB 447, 256 KiB 462 (an earlier run: 111, 208, 321, 377, 359). Bigger buys
nothing and costs every tiny read of a real console: libvirt-python allocates and zeroes the
whole size on each call (a recv that finds nothing: 1.1 us at 16 KiB, 2.1 us at 64 KiB,
5.5 us at 256 KiB)."""

READS_PER_WAKEUP = 16
"""At most this many reads per callback, so one busy stream cannot hold the event thread;
libvirt calls back again at once while data is queued."""

MAX_PENDING_INPUT = 1024 * 1024
"""Input bytes waiting for a stream that takes none; beyond this, `send` refuses."""

CALL_TIMEOUT = 5.0

_READ = libvirt.VIR_STREAM_EVENT_READABLE
_WRITE = libvirt.VIR_STREAM_EVENT_WRITABLE
_FAULT = libvirt.VIR_STREAM_EVENT_ERROR | libvirt.VIR_STREAM_EVENT_HANGUP


class StreamPump:
    """One stream's traffic: `on_data(bytes)` and, once, `on_closed(reason)` on `loop`.

    `on_closed` is called when the stream ends by itself (end of stream, an error, a hang
    up), not after `stop()`.
    """

    def __init__(
        self,
        stream: libvirt.virStream,
        *,
        loop: asyncio.AbstractEventLoop,
        on_data: Callable[[bytes], None],
        on_closed: Callable[[str], None],
        read_size: int = READ_SIZE,
    ) -> None:
        self.stream = stream
        self.read_size = read_size
        self._loop = loop
        self._on_data = on_data
        self._on_closed = on_closed
        self._events = ensure_event_loop()
        self._lock = threading.Lock()
        self._pending = bytearray()  # typed, waiting for the stream
        self._outbox = bytearray()  # received, waiting for the consumer's loop
        self._handoff_scheduled = False
        self.handoffs = 0
        self._registered = False
        self._want_write = False
        self._ended_by_eof = False
        self._stopped = False
        self.reason = ""
        """Why the stream ended by itself; '' while it runs."""
        self.bytes_in = 0
        self.bytes_out = 0
        self.wakeups = 0
        """Callbacks from libvirt: what reading this stream cost the event thread."""

    # -- on the libvirt event thread ---------------------------------------------------------

    def _on_event_thread(self) -> bool:
        try:
            return asyncio.get_running_loop() is self._events
        except RuntimeError:
            return False

    def _run_on_event_thread(self, fn: Callable[[], None]) -> None:
        """Run `fn` on the libvirt event thread and wait for it (from any other thread)."""
        if self._on_event_thread():
            fn()
            return
        done: concurrent.futures.Future[None] = concurrent.futures.Future()

        def run() -> None:
            try:
                fn()
            except BaseException as exc:
                done.set_exception(exc)
            else:
                done.set_result(None)

        self._events.call_soon_threadsafe(run)
        done.result(CALL_TIMEOUT)

    def _deliver(self, fn: Callable[..., None], *args: object) -> None:
        with contextlib.suppress(RuntimeError):  # the consumer's loop is closed: nobody to tell
            self._loop.call_soon_threadsafe(fn, *args)

    def _end(self, reason: str, *, eof: bool = False) -> None:
        if self._stopped or self.reason:
            return
        self.reason, self._ended_by_eof = reason, eof
        self._unregister()
        self._deliver(self._report_closed, reason)

    def _report_closed(self, reason: str) -> None:  # on the consumer's loop
        if not self._stopped:
            self._on_closed(reason)

    def _unregister(self) -> None:
        if self._registered:
            self._registered = False
            with contextlib.suppress(libvirt.libvirtError):
                self.stream.eventRemoveCallback()

    def _callback(self, stream: libvirt.virStream, events: int, _opaque: object) -> None:
        self.wakeups += 1
        if self._stopped or self.reason:
            return
        if events & _READ:
            self._read()
        if events & _WRITE and not self.reason:
            self._flush()
        if events & _FAULT and not self.reason:
            hung_up = events & libvirt.VIR_STREAM_EVENT_HANGUP
            self._end("the stream hung up" if hung_up else "the stream failed")

    def _read(self) -> None:
        chunks: list[bytes] = []
        reason, eof = "", False
        for _ in range(READS_PER_WAKEUP):
            try:
                got = self.stream.recv(self.read_size)
            except libvirt.libvirtError as exc:
                reason = describe_error(exc)
                break
            if isinstance(got, int):  # -2: nothing more for now
                break
            if not got:
                reason, eof = "end of stream", True
                break
            chunks.append(got)
        if chunks:
            self._hand_over(b"".join(chunks))
        if reason:
            self._end(reason, eof=eof)

    def _hand_over(self, data: bytes) -> None:
        with self._lock:
            self.bytes_in += len(data)
            self._outbox += data
            if self._handoff_scheduled:
                return
            self._handoff_scheduled = True
        self._deliver(self._drain_outbox)

    def _drain_outbox(self) -> None:  # on the consumer's loop
        with self._lock:
            data = bytes(self._outbox)
            self._outbox.clear()
            self._handoff_scheduled = False
        if data and not self._stopped:
            self.handoffs += 1
            self._on_data(data)

    def _flush(self) -> None:
        with self._lock:
            data = bytes(self._pending)
        sent = 0
        if data:
            try:
                sent = self.stream.send(data)
            except libvirt.libvirtError as exc:
                self._end(describe_error(exc))
                return
            if sent < 0:  # -2: the stream is full; wait until it is writable
                sent = 0
        with self._lock:
            del self._pending[:sent]
            want_write = bool(self._pending)
        self.bytes_out += sent
        # Ask for WRITABLE only while input waits: a remote stream with WRITABLE interest is
        # "ready" all the time and would call back without pause.
        if want_write != self._want_write and self._registered:
            self._want_write = want_write
            with contextlib.suppress(libvirt.libvirtError):
                self.stream.eventUpdateCallback(_READ | _FAULT | (_WRITE if want_write else 0))

    # -- from any thread ---------------------------------------------------------------------

    def start(self) -> None:
        """Begin receiving (register the callback on the event thread)."""

        def register() -> None:
            self.stream.eventAddCallback(_READ | _FAULT, self._callback, None)
            self._registered = True

        self._run_on_event_thread(register)

    def send(self, data: bytes) -> bool:
        """Queue `data` for the stream; False if it has ended or input is piling up unread."""
        if self._stopped or self.reason:
            return False
        with self._lock:
            if len(self._pending) + len(data) > MAX_PENDING_INPUT:
                return False
            self._pending += data
        with contextlib.suppress(RuntimeError):
            self._events.call_soon_threadsafe(self._flush_if_running)
        return True

    def _flush_if_running(self) -> None:
        if not self._stopped and not self.reason:
            self._flush()

    def stop(self) -> None:
        """Let go of the stream (blocking: a round trip to the daemon; call from a worker).

        Idempotent. Once it returns, `on_data` and `on_closed` are not called any more.
        """
        with self._lock:
            if self._stopped:
                return
            self._stopped = True

        with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
            self._run_on_event_thread(self._unregister)
        with contextlib.suppress(libvirt.libvirtError):
            if self._ended_by_eof:
                self.stream.finish()
            else:
                self.stream.abort()
