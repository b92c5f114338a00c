"""The `:` command line's words (pure) and the line itself on the demo fleet."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from limen_tui.model import DomainRow, PowerState
from limen_tui.ui.command_line import History, complete, parse, select_rows
from limen_tui.ui.screens.confirm import ConfirmScreen
from limen_tui.ui.screens.hosts import HostsScreen
from limen_tui.ui.widgets.command_bar import CommandBar
from limen_tui.ui.widgets.operations import OperationsPane
from limen_tui.ui.widgets.vm_table import VmTable

from .helpers import burst, demo_app, wait_for

BASE = DomainRow(host="hv1", uuid="u", name="x", state=PowerState.RUNNING)


def _row(name: str, host: str = "hv1", state: PowerState = PowerState.RUNNING) -> DomainRow:
    return replace(BASE, uuid=f"{host}-{name}", name=name, host=host, state=state)


def test_resources_actions_and_views_parse() -> None:
    assert (parse(":vm").kind, parse(":vm").name) == ("resource", "vm")
    assert parse("hosts").name == "host"
    cmd = parse(":shutdown state:running host:hv2")
    assert (cmd.kind, cmd.name, cmd.args) == ("action", "shutdown", ("state:running", "host:hv2"))
    assert parse(":destroy web-01").name == "force_off"  # virsh's word
    assert (parse(":sort cpu desc").kind, parse(":sort cpu desc").error) == ("view", "")
    assert parse(":sort").error and parse(":layout sideways").error
    assert parse("").kind == "empty"


def test_a_typo_gets_did_you_mean() -> None:
    cmd = parse(":shutdwn web-01")
    assert cmd.kind == "unknown"
    assert cmd.error == "unknown command shutdwn; did you mean shutdown?"
    assert "did you mean" not in parse(":zzzzzz").error


def test_patterns_select_by_glob_state_and_host() -> None:
    rows = [
        _row("web-01"),
        _row("web-02", "hv2"),
        _row("web-03", "hv2", PowerState.SHUTOFF),
        _row("db-01", "hv2"),
    ]
    assert [r.name for r in select_rows(rows, ["web-*"])] == ["web-01", "web-02", "web-03"]
    chosen = select_rows(rows, ["state:running", "host:hv2"])
    assert [r.name for r in chosen] == ["db-01", "web-02"]
    assert [r.name for r in select_rows(rows, ["web-*", "state:running", "host:hv2"])] == ["web-02"]


def test_tab_completes_commands_names_and_columns() -> None:
    assert complete("shu").text == "shutdown "
    many = complete("s")
    assert "shutdown" in many.candidates and "sort" in many.candidates
    names = ["web-01", "web-02", "db-01"]
    done = complete("start we", vm_names=names)
    assert done.text == "start web-0" and done.candidates == ("web-01", "web-02")
    assert complete("sort c", columns=["name", "cpu"]).text == "sort cpu "
    assert complete("sort cpu d").text == "sort cpu desc "
    assert complete("start host:h", hosts=["hv1"]).text == "start host:hv1 "


def test_history_walks_back_and_forth() -> None:
    history = History(limit=2)
    for line in ("vm", "host", "ops"):
        history.add(line)
    assert history.items == ["host", "ops"]
    assert history.older() == "ops" and history.older() == "host" and history.older() == "host"
    assert history.newer() == "ops" and history.newer() == ""


async def _ready(pilot: Any, app: Any) -> VmTable:
    table: VmTable = app.query_one(VmTable)
    await wait_for(lambda: table.row_count == 48)
    await pilot.pause()
    return table


async def test_a_pattern_action_asks_first_and_no_means_no() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = await _ready(pilot, app)
        before = {r.name: r.state for r in table.rows_by_key.values()}
        await burst(pilot, "colon", *"shutdown web-* state:running", "enter")
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        assert screen.question.plain.startswith("Shut down 3 VMs on 1 host (demo): web-02")
        await burst(pilot, "n")
        assert not app.query_one(OperationsPane).operations
        assert {r.name: r.state for r in table.rows_by_key.values()} == before


async def test_tab_history_and_typos_on_screen() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = await _ready(pilot, app)
        bar = app.query_one(CommandBar)
        await burst(pilot, "colon", *"sor", "tab", *"cpu des", "tab")
        assert bar.input.value == "sort cpu desc "
        await burst(pilot, "enter")
        assert (table.sort_column, table.sort_reverse) == ("cpu", True)
        await burst(pilot, "colon", "up")
        assert bar.input.value == "sort cpu desc"
        await burst(pilot, "escape")
        assert not bar.has_class("visible") and app.focused is table
        await burst(pilot, "colon", *"hots", "enter")
        await pilot.pause()
        assert any("did you mean host" in n.message for n in app._notifications)
        await burst(pilot, "colon", *"host", "enter")
        await wait_for(lambda: isinstance(app.screen, HostsScreen))


async def test_the_palette_lists_actions_and_screens_from_the_registry() -> None:
    from textual.command import CommandPalette

    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(pilot, app)
        await pilot.press("ctrl+p")
        await wait_for(lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"Shut down")
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        from textual.widgets import OptionList

        options = palette.query_one(OptionList)

        def texts() -> list[str]:
            return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]

        await wait_for(lambda: any("Shut down (h)" in t for t in texts()))  # searched in a worker


async def test_dev_and_xml_open_the_selected_vms_devices_and_domain_xml() -> None:
    from limen_tui.ui.screens.devices import DeviceScreen
    from limen_tui.ui.screens.domain_xml import XmlScreen

    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = await _ready(pilot, app)
        selected = table.selected_row
        assert selected is not None
        await burst(pilot, "colon", *"dev", "enter")
        await wait_for(lambda: isinstance(app.screen, DeviceScreen))
        devices = app.screen
        assert isinstance(devices, DeviceScreen) and devices.vm.uuid == selected.uuid
        await wait_for(lambda: devices.devices is not None)
        await burst(pilot, "escape")
        await burst(pilot, "colon", *"xml", "enter")
        await wait_for(lambda: isinstance(app.screen, XmlScreen))
        xml = app.screen
        assert isinstance(xml, XmlScreen)
        await wait_for(lambda: xml.base is not None)
        assert xml.base is not None and f"<uuid>{selected.uuid}</uuid>" in xml.base


async def test_a_read_only_session_shows_devices_and_xml_and_offers_no_change() -> None:
    from limen_tui.config.settings import Settings
    from limen_tui.ui.screens.devices import DeviceScreen
    from limen_tui.ui.screens.domain_xml import XmlScreen

    app = demo_app(Settings(refresh_interval=0.2, readonly=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await _ready(pilot, app)
        await burst(pilot, "colon", *"dev", "enter")
        await wait_for(lambda: isinstance(app.screen, DeviceScreen))
        devices = app.screen
        assert isinstance(devices, DeviceScreen)
        await wait_for(lambda: devices.devices is not None)
        await burst(pilot, "a", "n", "d", "b")
        assert app.screen is devices  # no form, no question
        await burst(pilot, "escape")
        await wait_for(lambda: app.screen is app.main)
        await burst(pilot, "colon", *"xml", "enter")
        await wait_for(lambda: isinstance(app.screen, XmlScreen))
        xml = app.screen
        assert isinstance(xml, XmlScreen)
        await wait_for(lambda: xml.base is not None)
        await burst(pilot, "e")
        assert app.screen is xml and xml.draft is None
        assert not xml.note.plain
