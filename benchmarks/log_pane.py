"""Benchmark: how many lines per second a log pane takes in while the UI stays responsive.

A headless console gets floods of lines into one log pane in batches of 1,000 (as followers
deliver them); measured: the UI time per 1,000 new lines (clean, keep, draw), lines per second
over the flood, and the time a key press takes to be handled in the middle of the flood. The
reference is the core alone (`LineBuffer.extend`, no drawing) on the same lines in the same run.

Prints a table and one JSON line. Run: .venv/bin/python -m benchmarks.log_pane
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time

from textual.app import App, ComposeResult

from limen_tui.logs.buffer import LineBuffer
from limen_tui.ui.widgets.log_pane import LogPane

BATCH = 1000
BATCHES = 100
LINE = "2026-11-22 10:00:{:02d}.123+0000: 4711: info : qemuProcessStart:1234 : vm-{} started"


class PaneApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LogPane(10_000, id="pane")


async def measure() -> dict[str, float]:
    batches = [[LINE.format(i % 60, b * BATCH + i) for i in range(BATCH)] for b in range(BATCHES)]
    t0 = time.perf_counter()
    core = LineBuffer(10_000)
    for lines in batches:
        core.extend(lines)
    core_s = time.perf_counter() - t0

    app = PaneApp()
    key_latency: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(LogPane)
        pane.lines_widget.focus()
        started = time.perf_counter()
        for i, lines in enumerate(batches):
            pane.add_lines(lines)  # as a follower delivers them, one batch per loop turn
            await asyncio.sleep(0)
            if i % 10 == 5:
                t = time.perf_counter()
                await pilot.press("f")  # pause: a key handled mid-flood
                key_latency.append(time.perf_counter() - t)
                await pilot.press("f")  # follow again (redraws the newest 2,000: not timed)
        await pilot.pause(0.2)  # the last draw
        flood_s = time.perf_counter() - started
    total = BATCH * BATCHES
    return {
        "lines": float(total),
        "core_lines_per_s": total / core_s,
        "pane_lines_per_s": total / flood_s,
        "ui_ms_per_1000_lines": flood_s / BATCHES * 1000,
        "key_ms_mid_flood": statistics.median(key_latency) * 1000,
    }


def main() -> None:
    r = asyncio.run(measure())
    print(f"{'path':<40} {'lines/s':>10} {'ms per 1,000':>13}")
    print(
        f"{'LineBuffer.extend (core, reference)':<40} {r['core_lines_per_s']:>10.0f} "
        f"{1000 / r['core_lines_per_s'] * 1000:>13.2f}"
    )
    print(
        f"{'log pane: clean, keep, draw':<40} {r['pane_lines_per_s']:>10.0f} "
        f"{r['ui_ms_per_1000_lines']:>13.2f}"
    )
    print(f"a key press handled mid-flood: {r['key_ms_mid_flood']:.1f} ms (median)")
    print(json.dumps({"benchmark": "log_pane", **r}))


if __name__ == "__main__":
    main()
