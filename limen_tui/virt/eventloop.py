"""The one libvirt event loop of the process.

libvirt accepts one event implementation per process and it can never be replaced, so
libvirtaio is registered once, on an asyncio loop in a thread of its own. That loop only
dispatches libvirt's sockets, timers and callbacks; consumers receive events on their own
loop through `call_soon_threadsafe`. A slow or chatty host therefore never holds the UI loop,
and a UI loop that is restarted (tests, the `list` command) keeps working.
"""

from __future__ import annotations

import asyncio
import threading

import libvirt
import libvirtaio

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None

# libvirtaio schedules libvirt's timers with `asyncio.ensure_future(..., loop=...)` from
# whichever thread libvirt calls it in. From a worker thread that neither is thread-safe nor
# wakes the loop, so an event queued by a call in a worker (the test driver queues every event
# that way) could wait until something else woke the loop. `nudge()` after each blocking call
# wakes it at once; the heartbeat bounds the wait for anything else.
HEARTBEAT_SECONDS = 0.25


def _noop() -> None:
    return None


def nudge() -> None:
    """Wake the libvirt event loop so work libvirt queued from another thread runs now."""
    loop = _loop
    if loop is not None and not loop.is_closed():
        loop.call_soon_threadsafe(_noop)


def _silence_default_error_printer() -> None:
    # libvirt prints every error to stderr by default, which would scribble over the TUI.
    # Errors still reach us as libvirtError exceptions.
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)


def ensure_event_loop() -> asyncio.AbstractEventLoop:
    """Start the libvirt event thread once; must run before the first connection is opened."""
    global _loop
    with _lock:
        if _loop is not None:
            return _loop
        _silence_default_error_printer()
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def heartbeat() -> None:
            loop.call_later(HEARTBEAT_SECONDS, heartbeat)

        def run() -> None:
            asyncio.set_event_loop(loop)
            libvirtaio.virEventRegisterAsyncIOImpl(loop=loop)
            loop.call_soon(heartbeat)
            ready.set()
            loop.run_forever()

        thread = threading.Thread(target=run, name="libvirt-events", daemon=True)
        thread.start()
        ready.wait()
        _loop = loop
        return loop
