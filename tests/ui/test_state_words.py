"""Every state the console colours also has a word or a symbol of its own, so NO_COLOR and the
monochrome theme lose nothing: VM states, link states, operation outcomes, health verdicts."""

from __future__ import annotations

from limen_tui.fleet.operations import OpState
from limen_tui.hosts.thresholds import Verdict
from limen_tui.model import HostStatus, LinkState, PowerState
from limen_tui.ui.columns import STATE_STYLE
from limen_tui.ui.health_view import VERDICT_MARK
from limen_tui.ui.widgets.host_bar import LINK_MARK, host_line, summary_lines
from limen_tui.ui.widgets.operations import STATE_STYLE as OP_STYLE


def test_every_coloured_state_has_a_word_of_its_own() -> None:
    for states in (list(PowerState), list(OpState), list(LinkState)):
        words = [s.value for s in states]
        assert all(words) and len(set(words)) == len(words), words
    assert set(STATE_STYLE) <= set(PowerState) and set(OP_STYLE) == set(OpState)


def test_each_link_state_has_its_own_symbol_even_where_only_the_symbol_shows() -> None:
    assert set(LINK_MARK) == set(LinkState)
    assert len(set(LINK_MARK.values())) == len(LinkState)
    hosts = [HostStatus(f"hv{i}", f"qemu+ssh://hv{i}/system", s) for i, s in enumerate(LinkState)]
    lines = summary_lines(hosts).plain.splitlines()
    for i, state in enumerate(LinkState):
        assert f"{LINK_MARK[state]} hv{i}" in lines[1]  # the line of names: symbol, no word
        assert f"{LINK_MARK[state]} 1 {state.value}" in lines[0]
    down = host_line(HostStatus("hv9", "qemu:///system", LinkState.DOWN, reason="refused"))
    assert down.plain.startswith(f"{LINK_MARK[LinkState.DOWN]} hv9") and "down" in down.plain


def test_a_health_figure_past_its_threshold_says_so_in_text() -> None:
    assert VERDICT_MARK[Verdict.OK] == VERDICT_MARK[Verdict.UNKNOWN] == ""
    assert VERDICT_MARK[Verdict.WARN] and VERDICT_MARK[Verdict.CRIT]
    assert VERDICT_MARK[Verdict.WARN] != VERDICT_MARK[Verdict.CRIT]
