"""Actions from the keyboard on the demo hypervisor (libvirt's test driver, in-process: each
console gets a private copy of the fleet, so what a test changes stays in that test)."""

from __future__ import annotations

from limen_tui.config.settings import Settings
from limen_tui.fleet.operations import OpState
from limen_tui.model import PowerState
from limen_tui.ui.screens.confirm import ConfirmScreen, TypeNameToDeleteScreen
from limen_tui.ui.widgets.operations import OperationsPane
from limen_tui.ui.widgets.vm_table import VmTable

from .helpers import demo_app, wait_for


async def _select(pilot: object, app: object, name: str) -> None:
    from textual.pilot import Pilot

    from limen_tui.ui.app import LimenApp

    assert isinstance(pilot, Pilot) and isinstance(app, LimenApp)
    table = app.query_one(VmTable)
    await wait_for(lambda: table.row_count == 48)
    await pilot.press("slash", *name, "enter")
    await wait_for(lambda: table.selected_row is not None and table.selected_row.name == name)


def _state(app: object, name: str) -> PowerState | None:
    from limen_tui.ui.app import LimenApp

    assert isinstance(app, LimenApp)
    rows = app.query_one(VmTable).rows_by_key.values()
    return next((r.state for r in rows if r.name == name), None)


async def test_delete_with_a_wrong_typed_name_deletes_nothing_then_the_right_name_does() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _select(pilot, app, "batch-01")
        await pilot.press("D")
        assert isinstance(app.screen, TypeNameToDeleteScreen)
        await pilot.press(*"batch-02", "enter")
        assert isinstance(app.screen, TypeNameToDeleteScreen), "a wrong name closed the dialog"
        assert "not the VM's name" in str(app.screen.query_one("#problem").render())
        await pilot.press("escape")
        assert _state(app, "batch-01") is PowerState.SHUTOFF
        assert not app.query_one(OperationsPane).operations

        await pilot.press("D", *"batch-01", "enter")
        await wait_for(lambda: _state(app, "batch-01") is None)
        pane = app.query_one(OperationsPane)
        await wait_for(lambda: all(o.state.finished for o in pane.operations.values()))
        (op,) = pane.operations.values()
        assert (op.action, op.state, op.vm) == ("delete", OpState.SUCCEEDED, "batch-01")


async def test_force_off_asks_first_and_no_means_no() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _select(pilot, app, "app-01")
        await pilot.press("F")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert not isinstance(app.screen, ConfirmScreen)
        assert _state(app, "app-01") is PowerState.RUNNING
        await pilot.press("F", "y")
        await wait_for(lambda: _state(app, "app-01") is PowerState.SHUTOFF)


async def test_pause_key_toggles_and_operations_pane_shows_outcome() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _select(pilot, app, "app-02")
        await pilot.press("p")
        await wait_for(lambda: _state(app, "app-02") is PowerState.PAUSED)
        await pilot.press("p")
        await wait_for(lambda: _state(app, "app-02") is PowerState.RUNNING)
        pane = app.query_one(OperationsPane)
        await wait_for(lambda: all(o.state.finished for o in pane.operations.values()))
        ops = list(pane.operations.values())  # operations are values: read them once finished
        assert [(o.action, o.state) for o in ops] == [
            ("pause", OpState.SUCCEEDED),
            ("resume", OpState.SUCCEEDED),
        ]


async def test_marks_and_bulk_action_with_a_summary() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(VmTable)
        await wait_for(lambda: table.row_count == 48)
        await pilot.press("slash", *"ci-runner", "enter", "asterisk")
        marked = {table.rows_by_key[k].name for k in table.marked}
        assert marked and all(n.startswith("ci-runner") for n in marked)
        await pilot.press("p")  # pause all marked; the shut off ones fail, the rest go on
        assert isinstance(app.screen, ConfirmScreen), "a bulk action ran without asking"
        await pilot.press("y")
        await wait_for(
            lambda: (
                len(app.query_one(OperationsPane).operations) == len(marked)
                and all(o.state.finished for o in app.query_one(OperationsPane).operations.values())
            )
        )
        ops = app.query_one(OperationsPane).operations.values()
        running_before = [o for o in ops if o.state is OpState.SUCCEEDED]
        assert running_before
        # The rows show it with the frame that draws the events' rows (at most 0.5 s later).
        await wait_for(lambda: all(_state(app, o.vm) is PowerState.PAUSED for o in running_before))
        await pilot.press("U")
        assert not table.marked


async def test_readonly_session_offers_no_actions() -> None:
    app = demo_app(Settings(refresh_interval=0.2, readonly=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await _select(pilot, app, "app-01")
        await pilot.press("o", "F", "D", "p", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, (ConfirmScreen, TypeNameToDeleteScreen))
        assert not app.query_one(OperationsPane).operations
        assert _state(app, "app-01") is PowerState.RUNNING


async def test_snapshot_view_takes_lists_and_deletes_a_snapshot() -> None:
    from textual.widgets import DataTable

    from limen_tui.ui.screens.snapshots import SnapshotForm, SnapshotScreen

    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _select(pilot, app, "batch-01")
        await pilot.press("x")
        screen = app.screen
        assert isinstance(screen, SnapshotScreen)
        tree = screen.query_one("#tree", DataTable)
        await pilot.press("c")
        assert isinstance(app.screen, SnapshotForm)
        await pilot.press(*"bad/name", "enter")
        assert isinstance(app.screen, SnapshotForm), "a bad name was sent"
        await pilot.press(*["backspace"] * 8, *"before-upgrade", "enter")
        await wait_for(lambda: tree.row_count == 1, limit=10)
        assert [s.name for s in screen.snapshots] == ["before-upgrade"]
        await pilot.press("d", "y")
        await wait_for(lambda: tree.row_count == 0, limit=10)
        ops = [(o.action, o.state) for o in app.query_one(OperationsPane).operations.values()]
        assert ops == [
            ("snapshot_create", OpState.SUCCEEDED),
            ("snapshot_delete", OpState.SUCCEEDED),
        ]


async def test_create_form_refuses_bad_input_in_plain_words_and_creates_nothing() -> None:
    from textual.widgets import Input, Select, Static

    from limen_tui.ui.screens.create_vm import CreateVmScreen

    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(VmTable)
        await wait_for(lambda: table.row_count == 48)
        await pilot.press("C")
        form = app.screen
        assert isinstance(form, CreateVmScreen)
        pool = form.query_one("#pool", Select)
        await wait_for(lambda: len(pool._options) > 1)  # the host's pools arrived
        problems = form.query_one("#problems", Static)

        async def submit(name: str, vcpus: str, memory: str, disk: str) -> str:
            for wid, value in (
                ("name", name),
                ("vcpus", vcpus),
                ("memory", memory),
                ("disk", disk),
            ):
                form.query_one(f"#{wid}", Input).value = value
            form.query_one("#name", Input).focus()
            problems.update("")  # so the wait below ends on this submit's answer only
            await pilot.press("enter")  # Enter goes to the next field: it never creates
            await pilot.press("ctrl+s")
            await wait_for(lambda: str(problems.render()) not in ("", "checking on the host…"))
            return str(problems.render())

        assert "Storage pool" in await submit("new-vm", "1", "512", "1")
        pool.value = "default"
        assert "vCPUs" in await submit("new-vm", "zero", "512", "1")
        text = await submit("app-01", "0", "-5", "100000")
        assert "Name" in text and "vCPUs" in text and "Memory" in text and "Disk" in text
        assert isinstance(app.screen, CreateVmScreen)
        await pilot.press("escape")
        assert table.row_count == 48
        assert not app.query_one(OperationsPane).operations


async def test_keys_remapped_in_the_config_take_effect() -> None:
    app = demo_app(keymap={"pause": "ctrl+p", "start": "p"})
    async with app.run_test(size=(120, 40)) as pilot:
        await _select(pilot, app, "app-02")
        await pilot.press("ctrl+p")
        await wait_for(lambda: _state(app, "app-02") is PowerState.PAUSED)
