"""The bounded line buffer: bound, filters, search, and memory under a flood."""

from __future__ import annotations

import gc

import psutil

from limen_tui.logs.buffer import LineBuffer, Match
from limen_tui.logs.levels import Level

LIBVIRT_LINE = "2024-05-01 10:00:00.123+0000: 4321: {lvl} : virNetSocketReadWire:1 : line {i} {pad}"


def test_keeps_the_newest_lines_within_the_bound() -> None:
    buf = LineBuffer(max_lines=3)
    for i in range(5):
        buf.append(f"line {i}")
    assert [ln.text for ln in buf] == ["line 2", "line 3", "line 4"]
    assert [ln.seq for ln in buf] == [2, 3, 4]
    assert buf.dropped == 2
    added = buf.extend([b"six\n", "seven"])
    assert [ln.seq for ln in added] == [5, 6]
    assert [ln.text for ln in buf] == ["line 4", "six", "seven"]


def test_lines_are_cleaned_and_levelled_on_the_way_in() -> None:
    buf = LineBuffer()
    line = buf.append(b"qemu-system-x86_64: \x1b[31m[bold]oops\x1b[0m\x07")
    assert line.text == "qemu-system-x86_64: [bold]oops\\x07"
    assert line.level is Level.ERROR
    assert buf.append("anything", Level.DEBUG).level is Level.DEBUG


def test_text_and_level_filters() -> None:
    buf = LineBuffer()
    buf.extend(
        [
            LIBVIRT_LINE.format(lvl="error", i=1, pad="Disk FULL"),
            LIBVIRT_LINE.format(lvl="warning", i=2, pad="disk slow"),
            LIBVIRT_LINE.format(lvl="info", i=3, pad="all fine"),
            LIBVIRT_LINE.format(lvl="debug", i=4, pad="disk poll"),
        ]
    )
    assert len(buf.view()) == 4
    assert [ln.seq for ln in buf.view(level=Level.WARNING)] == [0, 1]
    assert [ln.seq for ln in buf.view(text="disk")] == [0, 1, 3]
    assert [ln.seq for ln in buf.view(text="DISK", level=Level.WARNING)] == [0, 1]
    assert buf.view(text="[") == []  # the filter is text, not a pattern


def test_search_returns_every_position_in_the_shown_text() -> None:
    buf = LineBuffer()
    buf.extend(["abc ABC", "none", "\x1b[1mabc\x1b[0m x abc"])
    assert buf.search("abc") == [
        Match(0, 0, 3),
        Match(0, 4, 7),
        Match(2, 0, 3),
        Match(2, 6, 9),
    ]
    assert buf.search("a.c") == []
    assert buf.search("") == []


def _rss() -> int:
    gc.collect()
    return int(psutil.Process().memory_info().rss)


def _flood_batch(start: int, n: int = 1000) -> list[bytes]:
    """Fresh bytes each time, as a follower reads them off a pipe (nothing pre-allocated)."""
    pad = "x" * 60
    return [
        LIBVIRT_LINE.format(lvl=("error", "info", "debug")[i % 3], i=i, pad=pad).encode()
        for i in range(start, start + n)
    ]


def test_bound_holds_under_a_flood_of_100k_lines() -> None:
    """100,000 lines into a 10,000-line buffer, twice: the second flood adds no memory."""
    buf = LineBuffer(max_lines=10_000)
    before = _rss()
    for start in range(0, 100_000, 1000):
        buf.extend(_flood_batch(start))
    after_first = _rss()
    for start in range(100_000, 200_000, 1000):
        buf.extend(_flood_batch(start))
    after_second = _rss()
    assert len(buf) == 10_000
    assert buf.dropped == 190_000
    assert buf.copy()[-1].seq == 199_999
    grew_first = (after_first - before) / 2**20
    grew_second = (after_second - after_first) / 2**20
    print(
        f"\nRSS before {before / 2**20:.1f} MiB, after 100k lines {after_first / 2**20:.1f} MiB, "
        f"after 200k lines {after_second / 2**20:.1f} MiB"
    )
    # 10,000 lines of ~140 characters plus their LogLine: about 3 MiB held. The second flood
    # replaces lines, it adds none (a little allocator slack aside).
    assert grew_first < 16, grew_first
    assert grew_second < 2, grew_second
