"""The VM screen's drawings: graphs over a window, XML search hits."""

from __future__ import annotations

from limen_tui.ui.vm_views import graph, xml_view


def test_graph_puts_each_sample_in_its_slice_of_the_window() -> None:
    now = 1000.0
    # 10 slices of 30 s over 5 minutes; the newest sample is 40 s old: the graph ends now
    text = graph([(now - 295, 10.0), (now - 40, 100.0)], 300, 10, now=now, top=100.0)
    assert text.plain == "▂" + " " * 7 + "█ "  # the last 30 s: nothing kept


def test_graph_ends_at_a_fresh_newest_sample_whatever_the_moment_of_drawing() -> None:
    samples = [(1000.0 - 30 * k, float(k)) for k in reversed(range(10))]  # oldest first
    drawn = {graph(samples, 300, 10, now=1000.0 + d).plain for d in (0.0, 1.0, 9.9, 14.9)}
    assert len(drawn) == 1 and " " not in drawn.pop()  # every slice has its sample


def test_graph_leaves_out_what_is_older_than_the_window() -> None:
    assert graph([(0.0, 50.0)], 300, 5, now=1000.0).plain == " " * 5


def test_xml_search_highlights_every_match_and_knows_their_lines() -> None:
    xml = "<domain>\n  <disk>\n  <DISK/>\n</domain>"
    text, lines = xml_view(xml, "disk")
    assert lines == [1, 2]
    assert text.plain == xml  # shown as it is, never markup
    assert len(text.spans) == 2
