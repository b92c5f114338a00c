"""Where blocking calls run: a small pool per host for libvirt, one thread for the SQLite file.

libvirt calls block (libvirt-python releases the GIL around them); each host has its own pool,
so a slow host only ever stalls its own workers. SQLite writes never share those threads: a
locked cache file cannot delay a tick. A call that timed out keeps its thread until libvirt
returns; callers that must not pile up (opening a connection) wait for that same call.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from limen_tui.virt.eventloop import nudge

T = TypeVar("T")


class StoreThread:
    """One thread for the cache, the metric history and the audit log of a fleet's hosts:
    records keep the order they were written in, and the libvirt pools never wait on the file.
    Each fleet has its own, so a stuck file of one console stalls no other."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")

    async def run(self, fn: Callable[[], T], limit: float = 10.0) -> T:
        """Run a blocking SQLite call on the store thread."""
        future = asyncio.get_running_loop().run_in_executor(self._pool, fn)
        return await asyncio.wait_for(future, limit)

    def ahead(self, fn: Callable[[], T]) -> Future[T]:
        """Start a read before anyone awaits it (no event loop needed yet)."""
        return self._pool.submit(fn)

    def later(self, fn: Callable[[], object]) -> None:
        """A write nobody waits for (history samples, invalidations, the last known fleet)."""
        self._pool.submit(fn)

    async def settled(self) -> None:
        """Returns once every write queued so far is done."""
        await self.run(lambda: None, 30.0)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False)


class HostWorkers:
    """The bounded pool of one host's blocking libvirt calls.

    It knows which calls are still in its threads, queued or running, abandoned by their
    caller or not: a connection is closed only once none is (`drained`), since libvirt frees a
    closed connection under a call still using it and the process dies."""

    def __init__(self, host: str, size: int, timeout: float) -> None:
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix=f"libvirt-{host}")
        self._in_flight: set[Future[Any]] = set()
        self._lock = threading.Lock()

    def _start(self, fn: Callable[[], T]) -> Future[T]:
        def run_then_nudge() -> T:
            try:
                return fn()
            finally:
                nudge()  # deliver at once any event this call queued

        with self._lock:
            future = self._pool.submit(run_then_nudge)
            self._in_flight.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future[T]) -> None:
        with self._lock:
            self._in_flight.discard(future)

    def submit(self, fn: Callable[[], T]) -> asyncio.Future[T]:
        """Start `fn` in a worker; the future is the call itself (await it, shield it)."""
        return asyncio.wrap_future(self._start(fn))

    async def call(self, fn: Callable[[], T], limit: float | None = None) -> T:
        """Run a blocking call, bounded by `limit` (the call timeout when None)."""
        return await asyncio.wait_for(self.submit(fn), limit or self.timeout)

    def later(self, fn: Callable[[], object]) -> None:
        """A blocking call nobody waits for (closing what an abandoned stop left open)."""
        self._start(fn)

    @property
    def in_flight(self) -> int:
        """How many calls are queued or running now."""
        with self._lock:
            return len(self._in_flight)

    async def drained(self, limit: float | None = None) -> bool:
        """Wait until every call submitted so far has returned (at most `limit` seconds, None:
        as long as it takes); False when some are still running at the limit."""
        with self._lock:
            pending = [asyncio.wrap_future(f) for f in self._in_flight]
        if not pending:
            return True
        _, still = await asyncio.wait(pending, timeout=limit)
        return not still

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
