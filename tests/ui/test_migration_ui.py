"""The migration dialog, `:migrate` and `:evacuate` on the demo (one host: nothing can move, so
nothing here migrates; the lab's tests do, tests/integration/test_lab_migration_ui.py). The
dialog is handed made-up checks here: what it does with their answer is what is tested."""

from __future__ import annotations

import asyncio
from typing import Any

from limen_tui.fleet.evacuation import HostCapacity, VmLoad, plan_evacuation
from limen_tui.model.action_params import Migrate
from limen_tui.ui.app import LimenApp
from limen_tui.ui.command_line import complete, help_lines, parse
from limen_tui.ui.screens.confirm import ConfirmScreen
from limen_tui.ui.screens.evacuate import evacuate_question
from limen_tui.ui.screens.migrate_dialog import MigrateDialog, bandwidth_of, migrate_question
from limen_tui.ui.widgets.vm_table import VmTable

from .helpers import burst, demo_app, inject, injected_app, wait_for


def _row(app: LimenApp, name: str) -> Any:
    return next(r for r in app.query_one(VmTable).rows_by_key.values() if r.name == name)


def _said(app: LimenApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def test_the_command_line_knows_migrate_and_evacuate() -> None:
    assert parse(":evacuate").error == "evacuate needs one host: :evacuate HOST (Tab lists them)"
    cmd = parse(":evacuate hv2")
    assert (cmd.kind, cmd.name, cmd.args, cmd.error) == ("view", "evacuate", ("hv2",), "")
    assert parse(":migrate web-01 hv2").kind == "action"
    assert complete("evacuate h", hosts=["hv1", "hv2"]).candidates == ("hv1", "hv2")
    found = complete("migrate web-01 h", vm_names=["web-01"], hosts=["hv1", "hv2"])
    assert found.candidates == ("hv1", "hv2")
    assert (":migrate [VM] HOST", "Migrate the VM (the selected one) to HOST: the dialog") in (
        help_lines()
    )


def test_the_bandwidth_box_takes_whole_mib_s_and_empty_is_no_limit() -> None:
    assert bandwidth_of("") == 0 and bandwidth_of(" 25 ") == 25
    assert bandwidth_of("-1") == "the bandwidth limit is 0 (no limit) or more MiB/s"
    assert bandwidth_of("1.5") == (
        "the bandwidth limit must be a whole number of MiB/s (0: no limit)"
    )


def test_the_evacuation_question_names_the_count_the_hosts_and_what_stays() -> None:
    gib = 2**30
    vms = [VmLoad(f"u{i}", f"[b]vm-{i}", gib, 1) for i in range(5)]
    plan = plan_evacuation("hv1", vms, [HostCapacity("hv2", 3 * gib, 8, 0)])
    assert evacuate_question(plan, 2).plain == (
        "Evacuate hv1: move 2 VMs to hv2 ([b]vm-0, [b]vm-1), 2 at a time? "
        "3 stay on hv1 (no room).  y/N"
    )
    with_copy = evacuate_question(plan, 3, Migrate("", copy_storage=True)).plain
    assert ", 3 at a time, copy storage? 3 stay on hv1" in with_copy


async def test_one_host_has_nowhere_to_migrate_to_and_a_wrong_host_is_named() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: app.query_one(VmTable).row_count > 0)
        await burst(pilot, "G")
        assert any(s.startswith("Migrate needs another host in this console") for s in _said(app))
        await burst(pilot, "colon", *"migrate web-01 hv9", "enter")
        assert any(
            s == "no host hv9 in this console; one of demo: :migrate [VM] HOST, the host last"
            for s in _said(app)
        )
        await burst(pilot, "colon", *"migrate web-* demo", "enter")
        assert any(s.startswith("Migrate works on one VM at a time: web-*") for s in _said(app))
        await burst(pilot, "colon", *"migrate web-01 demo", "enter")
        assert "web-01 is already on demo" in _said(app)
        assert app.screen is app.main  # no dialog opened


async def test_the_dialog_starts_nothing_before_its_checks_pass_and_asks_before_going() -> None:
    app = injected_app()
    asked: list[Migrate] = []
    release = asyncio.Event()
    chosen: list[Migrate | None] = []

    async def checks(params: Migrate) -> list[str]:
        asked.append(params)
        await release.wait()
        return [] if params.copy_storage else ["disk vda (/x.qcow2) is not on hv2's storage"]

    async with app.run_test(size=(80, 24)) as pilot:
        await inject(app)
        row = _row(app, "web-02")
        dialog = MigrateDialog(row, ["hv2"], "hv2", checks)
        app.push_screen(dialog, chosen.append)
        await pilot.pause()
        await burst(pilot, "ctrl+s")
        assert app.screen is dialog
        assert "have not answered yet" in str(dialog.query_one("#problem").render())
        release.set()
        await wait_for(lambda: dialog.check_state == "failed")
        await burst(pilot, "ctrl+s")
        assert app.screen is dialog and not chosen
        await pilot.click("#copy")
        await wait_for(lambda: dialog.check_state == "passed")
        assert asked[-1].copy_storage
        dialog.query_one("#bandwidth").focus()
        await pilot.press("end", "backspace", "y", "5", "0")  # a typed y is not a Yes
        assert app.screen is dialog
        assert dialog.params().bandwidth_mib_s == 50
        await burst(pilot, "ctrl+s")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
        await burst(pilot, "enter")  # Enter is No
        await wait_for(lambda: app.screen is dialog)
        assert not chosen
        await wait_for(lambda: dialog.check_state == "passed")
        await burst(pilot, "ctrl+s")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
        await burst(pilot, "y")
        await wait_for(lambda: bool(chosen))
    params = chosen[0]
    assert params is not None
    assert (params.dest, params.copy_storage, params.bandwidth_mib_s) == ("hv2", True, 50)
    assert migrate_question(row, params).plain == (
        "Migrate web-02 from demo to hv2 (live, copy storage, at most 50 MiB/s); "
        "its definition leaves demo?  y/N"
    )


async def test_e_on_the_hosts_screen_plans_the_evacuation_of_the_highlighted_host() -> None:
    from limen_tui.ui.screens.evacuate import EvacuationScreen
    from limen_tui.ui.screens.hosts import HostsScreen

    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: app.query_one(VmTable).row_count > 0)
        await pilot.press("H")
        await wait_for(lambda: isinstance(app.screen, HostsScreen))
        await pilot.press("E")
        await wait_for(lambda: isinstance(app.screen, EvacuationScreen))
        screen = app.screen
        assert isinstance(screen, EvacuationScreen) and screen.host == "demo"
        await wait_for(lambda: screen.plan is not None)
        assert screen.plan is not None and not screen.plan.moves
        assert all(why == "no other host is live" for _, why in screen.plan.unplaced)
        await wait_for(lambda: screen.status == "no VM fits anywhere (above): nothing can move")
        await pilot.press("ctrl+s")  # nothing to confirm: no question
        assert screen.status == "nothing to move"
        assert isinstance(app.screen, EvacuationScreen)
