"""Reading a follower in tests: collect batches until a condition holds, with a deadline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import psutil

from limen_tui.logs.lines import Batch


@dataclass
class Collected:
    batches: list[Batch] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        return [line for b in self.batches for line in b.lines]

    @property
    def notices(self) -> list[str]:
        return [b.notice for b in self.batches if b.notice]

    @property
    def ended(self) -> bool:
        return any(b.ended for b in self.batches)


async def collect_until(
    follower: AsyncIterator[Batch],
    got: Collected,
    done: Callable[[Collected], bool],
    within: float = 10.0,
) -> Collected:
    """Read batches into `got` until `done(got)`; fail with what arrived if it never does.

    A follower starts when first read (it is an async generator), so begin reading before
    expecting it to notice anything.
    """

    async def read() -> None:
        async for batch in follower:
            got.batches.append(batch)
            if done(got):
                return

    if done(got):
        return got
    try:
        await asyncio.wait_for(read(), within)
    except TimeoutError:
        raise AssertionError(f"timed out; lines={got.lines[-20:]} notices={got.notices}") from None
    assert done(got), f"follower ended early; lines={got.lines[-20:]} notices={got.notices}"
    return got


async def processes_with(token: str, within: float = 5.0) -> list[str]:
    """Command lines holding `token` still running after waiting up to `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        alive = [
            " ".join(p.info["cmdline"] or [])
            for p in psutil.process_iter(["cmdline"])
            if token in " ".join(p.info["cmdline"] or [])
        ]
        if not alive or loop.time() >= deadline:
            return alive
        await asyncio.sleep(0.05)
