"""Filter words and cell text, as an operator types and reads them."""

from __future__ import annotations

from limen_tui.model import DomainRow, PowerState, human_bytes
from limen_tui.ui.columns import columns_for, matches
from limen_tui.ui.text import literal, pair, printable


def row(
    name: str, state: PowerState = PowerState.RUNNING, host: str = "qemu:///system"
) -> DomainRow:
    return DomainRow(host=host, uuid=name, name=name, state=state)


def test_filter_words_match_name_or_state() -> None:
    assert matches(row("db-primary"), "db")
    assert matches(row("db-primary", PowerState.PAUSED), "paused")
    assert not matches(row("db-primary"), "paused")
    assert matches(row("db-primary", PowerState.SHUTOFF), "shutoff db")
    assert not matches(row("web-01", PowerState.SHUTOFF), "shutoff db")


def test_filter_state_and_host_prefixes() -> None:
    assert matches(row("running-jobs", PowerState.PAUSED), "running")  # name matches
    assert not matches(row("running-jobs", PowerState.PAUSED), "state:running")
    assert matches(row("a", host="qemu+ssh://hv2/system"), "host:hv2")
    assert not matches(row("a"), "host:hv2")


def test_filter_is_case_insensitive_and_empty_matches_all() -> None:
    assert matches(row("Web-01"), "WEB")
    assert matches(row("x"), "")


def test_columns_fit_80_cells() -> None:
    cols = columns_for(80, many_hosts=False)
    fixed = sum((c.width or 0) + 2 for c in cols)
    assert fixed + 12 + 2 <= 80  # the name column keeps at least 12 cells


def test_wide_terminals_get_host_and_memory_used_columns() -> None:
    keys = [c.key for c in columns_for(120, many_hosts=True)]
    assert "host" in keys and "used" in keys
    assert "host" not in [c.key for c in columns_for(120, many_hosts=False)]


def test_markup_and_escapes_in_names_are_shown_literally() -> None:
    text = literal("lab-[bold]x[/bold]\x1b[31m")
    assert text.plain == "lab-[bold]x[/bold]\\x1b[31m"
    assert not text.spans
    assert printable("ünï-测试") == "ünï-测试"


def test_long_names_are_cut_with_an_ellipsis() -> None:
    text = literal("n" * 200, limit=20)
    assert text.cell_len == 20 and text.plain.endswith("…")


def test_units() -> None:
    assert human_bytes(512) == "512"
    assert human_bytes(1536) == "1.5K"
    assert human_bytes(64 * 1024**3) == "64G"
    assert pair(None, None, active=True) == "n/a"
    assert pair(1024, None, active=True) == "1.0K/n/a"
    assert pair(1, 2, active=False) == ""


async def test_the_ip_column_asks_for_the_rows_on_screen_only() -> None:
    from limen_tui.ui.table_addresses import rows_on_screen
    from limen_tui.ui.widgets.vm_table import VmTable

    from .helpers import inject, injected_app

    app = injected_app()
    async with app.run_test(size=(200, 30)) as pilot:
        await inject(app)
        await pilot.pause()
        table = app.query_one(VmTable)
        assert "ip" in [c.key for c in table.shown_columns]
        keys = rows_on_screen(table)
        shown = [r.key for r in table.shown_rows()]
        assert 0 < len(keys) < len(shown)  # 48 VMs; only what fits is asked for
        assert keys == shown[: len(keys)]
        table.move_cursor(row=len(shown) - 1)  # scrolled to the end: the last rows
        await pilot.pause()
        assert rows_on_screen(table)[-1] == shown[-1]


def test_the_host_column_tells_hosts_named_by_their_uri_apart() -> None:
    from limen_tui.ui.columns import HOST

    keys = [
        "qemu+ssh://root@hv1.example.com/system",
        "qemu+ssh://root@hv2.example.com/system",
        "qemu+tcp://10.0.0.7:16509/system",
        "test+unix:///tmp/fleets/rack-3.xml",
        "qemu:///system",
        "hv1",
    ]
    cells = [str(HOST.cell(row("vm", host=k))) for k in keys]
    assert cells == [
        "hv1.example.com",
        "hv2.example.com",
        "10.0.0.7:16509",
        "rack-3.xml",
        "qemu:///system",
        "hv1",
    ]
