"""The noisy neighbour on real guests: two Linux guests, one burns its vCPU.

It must rank first by its share of the host's CPU within two ticks of starting, and the host
reports the episode once (then once more when the guest is quiet again).
"""

from __future__ import annotations

import io

from rich.console import Console

from limen_tui.config.settings import Settings
from limen_tui.fleet.host import Host
from limen_tui.fleet.noisy import NoisyEpisode, rank
from limen_tui.fleet.updates import DomainsRefreshed, FleetUpdate
from limen_tui.model import LinkState
from limen_tui.ui.screens.noisy import top_table
from tests.conftest import MakeLinuxGuest
from tests.ui.helpers import wait_for


def _ticks(updates: list[FleetUpdate]) -> int:
    return sum(isinstance(u, DomainsRefreshed) for u in updates)


async def test_the_guest_that_burns_cpu_ranks_first_within_two_ticks_and_is_said_once(
    libvirtd: str, linux_guests: MakeLinuxGuest
) -> None:
    quiet, burner = linux_guests("quiet"), linux_guests("burner")
    updates: list[FleetUpdate] = []
    settings = Settings(
        refresh_interval=1.0, noisy_threshold_pct=20, noisy_hold_s=2, noisy_clear_samples=2
    )
    host = Host(libvirtd, updates.append, settings)
    host.start()
    try:
        await wait_for(lambda: host.status.state is LinkState.LIVE and _ticks(updates) >= 2, 30)
        burner.shell.run("( while :; do :; done ) >/dev/null 2>&1 & echo $! > /tmp/burn.pid")
        started = _ticks(updates)
        await wait_for(lambda: _ticks(updates) >= started + 2, limit=30)
        ours = [r for r in host.rows.values() if r.name in (quiet.name, burner.name)]
        top = rank(ours, "cpu")
        assert top and top[0][0].name == burner.name, top
        shown = Console(width=120, record=True, file=io.StringIO())
        shown.print(top_table({host.key: host}, "cpu", None))  # what :top shows
        text = shown.export_text()
        first = next(ln for ln in text.splitlines() if ln.strip().startswith("1 "))
        assert burner.name in first, text

        def said(began: bool) -> list[NoisyEpisode]:
            return [
                u
                for u in updates
                if isinstance(u, NoisyEpisode) and u.name == burner.name and u.began is began
            ]

        await wait_for(lambda: bool(said(True)), limit=30)
        burner.shell.run("kill $(cat /tmp/burn.pid)")
        await wait_for(lambda: bool(said(False)), limit=30)
        assert len(said(True)) == 1 and len(said(False)) == 1
        assert not any(isinstance(u, NoisyEpisode) and u.name == quiet.name for u in updates)
    finally:
        await host.stop()
