"""`:top` on the live demo (its made-up figures, labelled as such), and the noisy-neighbour
line in the event log when an episode begins."""

from __future__ import annotations

import io
import time

from rich.console import Console
from textual.widgets import Static

from limen_tui.cli.factory import make_app
from limen_tui.config.settings import Settings
from limen_tui.demo import demo_uri
from limen_tui.fleet.noisy import Metric, NoisyEpisode, rank
from limen_tui.logs.levels import Level
from limen_tui.ui.screens.noisy import NoisyScreen
from limen_tui.ui.widgets.event_log import EventLog

from .helpers import burst, inject, injected_app, wait_for


def shown(widget: Static, width: int = 120) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


async def test_top_ranks_the_fleets_vms_by_host_cpu_then_by_what_is_asked() -> None:
    app = make_app([demo_uri()], Settings(refresh_interval=0.2), demo=True, demo_activity=True)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.fleet is not None
        host = next(iter(app.fleet.hosts.values()))
        await wait_for(lambda: any(r.cpu_host_pct is not None for r in host.rows.values()), 20)
        await burst(pilot, "colon", *"top", "enter")
        await wait_for(lambda: isinstance(app.screen, NoisyScreen))
        screen = app.screen
        assert isinstance(screen, NoisyScreen)
        screen.draw()  # now, with the rows the host has at this moment
        text = shown(screen.query_one("#top-table", Static))
        top = rank(host.rows.values(), "cpu")
        assert "ranked by share of the host's CPU" in text
        assert "demo: made-up figures" in text
        lines = text.splitlines()
        first = next(ln for ln in lines if ln.strip().startswith("1 "))
        assert top[0][0].name in first, text
        await pilot.press("n")
        screen.draw()
        text = shown(screen.query_one("#top-table", Static))
        assert "ranked by network bytes/s" in text
        first = next(ln for ln in text.splitlines() if ln.strip().startswith("1 "))
        assert rank(host.rows.values(), "net_bytes")[0][0].name in first, text
        await pilot.press("escape")
        await wait_for(lambda: not isinstance(app.screen, NoisyScreen))
        await burst(pilot, "colon", *"top loudness", "enter")
        await wait_for(
            lambda: any("no figure or host loudness" in str(n.message) for n in app._notifications)
        )
        assert not isinstance(app.screen, NoisyScreen)  # refused, said why


async def test_top_ranks_by_steal_latency_packets_and_drops_at_80_columns() -> None:
    app = make_app([demo_uri()], Settings(refresh_interval=0.2), demo=True, demo_activity=True)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.fleet is not None
        key, host = next(iter(app.fleet.hosts.items()))
        await wait_for(lambda: any(r.steal_pct is not None for r in host.rows.values()), 20)
        await burst(pilot, "colon", *f"top latency {key}", "enter")
        await wait_for(lambda: isinstance(app.screen, NoisyScreen))
        screen = app.screen
        assert isinstance(screen, NoisyScreen)
        assert (screen.metric, screen.host) == ("disk_latency", key)
        keys = {
            k: b.binding.description for k, b in screen.active_bindings.items() if b.binding.show
        }
        assert {"s", "l", "p", "d"} <= set(keys), keys  # in the footer
        body = screen.query_one("#top-table", Static)
        cases: tuple[tuple[str, Metric, str, str], ...] = (
            ("s", "steal", "ranked by steal", "Steal%"),
            ("l", "disk_latency", "ranked by disk latency", "Lat ms"),
            ("p", "net_packets", "ranked by network packets/s", "Pkt/s"),
            ("d", "net_drops", "ranked by network drops/s", "Drop/s"),
        )
        for press, metric, words, column in cases:
            await pilot.press(press)
            screen.draw()  # now, with the rows the host has at this moment
            text = shown(body, width=body.content_region.width)
            top = rank(host.rows.values(), metric)
            assert words in text, text
            head = next(ln for ln in text.splitlines() if ln.strip().startswith("#"))
            assert column in head, text  # the ranked figure has its column at 80 too
            first = next(ln for ln in text.splitlines() if ln.strip().startswith("1 "))
            assert top[0][0].name in first, text
            assert not any(ln.rstrip().endswith("…") for ln in text.splitlines()), text
        await pilot.press("escape")
        await wait_for(lambda: not isinstance(app.screen, NoisyScreen))
        for word, metric in (
            ("steal", "steal"),
            ("packets", "net_packets"),
            ("drops", "net_drops"),
        ):
            await burst(pilot, "colon", *f"top {word}", "enter")
            await wait_for(lambda: isinstance(app.screen, NoisyScreen))
            assert app.screen.metric == metric  # type: ignore[attr-defined]
            await pilot.press("escape")
            await wait_for(lambda: not isinstance(app.screen, NoisyScreen))


async def test_a_noisy_episode_is_an_alert_line_in_the_event_log_and_said_once() -> None:
    app = injected_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await inject(app)
        events = app.query_one("#events", EventLog)
        app.publish(NoisyEpisode("demo", "u1", "web-01", "cpu", True, 63.4, time.monotonic()))
        await pilot.pause()
        lines = [ln for ln in events.buffer.copy() if "web-01" in ln.text]
        noisy = [ln for ln in lines if "NOISY NEIGHBOUR web-01: 63% of the host's CPU" in ln.text]
        assert len(noisy) == 1 and noisy[0].level is Level.ERROR
        app.publish(NoisyEpisode("demo", "u1", "web-01", "cpu", False, 3.0, time.monotonic()))
        await pilot.pause()
        assert any("web-01 is quiet again" in ln.text for ln in events.buffer.copy())


async def test_an_episode_on_any_figure_is_said_with_its_unit() -> None:
    app = injected_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await inject(app)
        events = app.query_one("#events", EventLog)
        app.publish(
            NoisyEpisode("demo", "u2", "db-01", "disk_latency", True, 25.0, time.monotonic())
        )
        await pilot.pause()
        assert any(
            "NOISY NEIGHBOUR db-01: 25.0 ms per disk request" in ln.text
            for ln in events.buffer.copy()
        )
