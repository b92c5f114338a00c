"""Which log each pane follows, and the tasks that follow them. One follower per pane: a new
source cancels the old one (which closes its file, process or SSH channel)."""

from __future__ import annotations

import asyncio
import contextlib

from limen_tui.fleet.errors import explain
from limen_tui.fleet.logs import LogOpener
from limen_tui.ui.widgets.log_pane import LogPane


class LogFeeds:
    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.sources: dict[str, str] = {}
        """What each pane follows now, by pane id (so a pane is not restarted for nothing)."""

    def follow(self, pane: LogPane, what: str, opener: LogOpener) -> None:
        pane_id = pane.id or ""
        if self.sources.get(pane_id) == what and pane_id in self._tasks:
            return
        self.stop(pane_id)
        self.sources[pane_id] = what
        pane.reset(f"opening {what}…")
        self._tasks[pane_id] = asyncio.get_running_loop().create_task(
            self._run(pane, what, opener), name=f"log {pane_id}"
        )

    async def _run(self, pane: LogPane, what: str, opener: LogOpener) -> None:
        try:
            batches, note = await opener()
        except Exception as exc:
            pane.set_note(f"cannot follow {what}: {explain(exc)}")
            return
        pane.set_note(note or what)
        async with contextlib.aclosing(batches):
            async for batch in batches:
                if batch.lines:
                    pane.add_lines(batch.lines)
                if batch.notice:
                    pane.set_note(f"{what}: {batch.notice}")
                if batch.ended:
                    return

    def stop(self, pane_id: str) -> None:
        task = self._tasks.pop(pane_id, None)
        self.sources.pop(pane_id, None)
        if task is not None:
            task.cancel()

    async def stop_all(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
