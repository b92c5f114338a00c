"""Migration and evacuation from the console's keys, on the lab (two real hypervisor hosts,
each its own libvirtd in its own namespaces): what the operator types, what the screen says,
and where libvirt on both hosts says the VM is afterwards."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Static

from limen_tui.cli.factory import make_app
from limen_tui.config.settings import Settings
from limen_tui.fleet.operations import OpState
from limen_tui.store.audit import AuditLog
from limen_tui.ui.app import LimenApp
from limen_tui.ui.screens.ask import AskScreen
from limen_tui.ui.screens.confirm import ConfirmScreen
from limen_tui.ui.screens.evacuate import EvacuationScreen
from limen_tui.ui.screens.migrate_dialog import MigrateDialog
from limen_tui.ui.screens.migration_view import MigrationScreen
from limen_tui.ui.widgets.vm_table import VmTable
from tests.harness.guest_image import GuestBoot
from tests.harness.lab import Lab
from tests.harness.lab_fixtures import (
    define_stub,
    shared_pool,
    shell_on,
    sweep_lab_domains,
    where,
)
from tests.harness.libvirtd import tiny_domain_xml, unique_prefix
from tests.harness.linux_guest import LinuxGuest
from tests.ui.helpers import wait_for

pytestmark = pytest.mark.libvirtd

SIZE = (120, 40)


@pytest.fixture
def swept(lab: Lab) -> Iterator[Lab]:
    try:
        yield lab
    finally:
        sweep_lab_domains(lab)


class LabApp:
    """The console on lab-a and lab-b, built as the command line builds it."""

    def __init__(self, lab: Lab, tmp_path: Path) -> None:
        self.audit = AuditLog(tmp_path / "audit.db")
        uris = [h.uri for h in lab.hosts.values()]
        self.app = make_app(
            uris,
            Settings(refresh_interval=1.0, reconnect_min=0.2, reconnect_max=1.0),
            names={h.uri: h.name for h in lab.hosts.values()},
            audit=self.audit,
        )

    def migrations_audited(self) -> list[tuple[str, str]]:
        return [(str(r.vm), r.outcome) for r in self.audit.query() if r.action == "migrate"]


@pytest.fixture
async def console(swept: Lab, tmp_path: Path) -> AsyncIterator[LabApp]:
    made = LabApp(swept, tmp_path)
    yield made
    made.audit.close()


def table(app: LimenApp) -> VmTable:
    return app.main.query_one(VmTable)


async def shown_on(app: LimenApp, name: str, host: str, limit: float = 30) -> None:
    await wait_for(
        lambda: any(r.name == name and r.host == host for r in table(app).rows_by_key.values()),
        limit,
    )


async def command(pilot: Pilot[Any], line: str) -> None:
    await pilot.press("colon", *line, "enter")
    await pilot.pause()


def max_speed(lab: Lab, name: str) -> int:
    conn = lab.hosts["lab-a"].open()
    try:
        return int(conn.lookupByName(name).migrateGetMaxSpeed(0))
    finally:
        conn.close()


def text_of(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_migrate_from_the_ui_ends_with_the_vm_on_the_destination(
    swept: Lab, console: LabApp
) -> None:
    name = define_stub(swept, "lab-a", "uimove", start=True)
    app = console.app
    async with app.run_test(size=SIZE) as pilot:
        await shown_on(app, name, "lab-a")
        await command(pilot, f"migrate {name} lab-b")
        await wait_for(lambda: isinstance(app.screen, MigrateDialog))
        dialog = app.screen
        assert isinstance(dialog, MigrateDialog)
        await wait_for(lambda: dialog.check_state != "checking", 30)
        assert dialog.check_state == "passed", dialog.problems
        assert text_of(dialog, "#checks").startswith("every check passed: lab-b answers")
        await pilot.press("ctrl+s")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
        question = app.screen.question.plain  # type: ignore[attr-defined]
        assert question == (
            f"Migrate {name} from lab-a to lab-b (live); its definition leaves lab-a?  y/N"
        )
        started = time.monotonic()
        await pilot.press("y")
        await wait_for(lambda: isinstance(app.screen, MigrationScreen))
        view = app.screen
        assert isinstance(view, MigrationScreen)
        await wait_for(lambda: view.job.op.state.finished, 90)
        took = time.monotonic() - started
        assert view.job.op.state is OpState.SUCCEEDED, view.job.op
        await pilot.pause(0.6)  # the view's next redraw
        assert text_of(view, "#outcome").startswith("succeeded: now on lab-b (libvirt: ")
        # libvirt on both hosts: running on lab-b, gone from lab-a.
        assert where(swept, name) == {"lab-b": True}
        await shown_on(app, name, "lab-b")
        assert not any(
            r.name == name and r.host == "lab-a" for r in table(app).rows_by_key.values()
        )
        assert not table(app).busy  # the row no longer says "migrating"
        # The operations pane tells the whole story: one migrate, its outcome from both hosts.
        ops = [o for o in app.main.operations.operations.values() if o.action == "migrate"]
        assert [(o.vm, o.state) for o in ops] == [(name, OpState.SUCCEEDED)]
        assert "stopped migrated on lab-a" in ops[0].note
        assert "resumed migrated on lab-b" in ops[0].note
    assert console.migrations_audited() == [(name, "succeeded")]
    print(f"\nUI migration of a 64 MiB stub, from y to both hosts' events: {took:.2f}s")


async def test_a_refused_check_shows_its_sentence_and_starts_nothing(
    swept: Lab, console: LabApp
) -> None:
    net = f"{unique_prefix()}net"
    a = swept.hosts["lab-a"].open()
    a.networkDefineXML(f"<network><name>{net}</name><bridge name='lmn{net[-12:-4]}'/></network>")
    try:
        xml = tiny_domain_xml(f"{unique_prefix()}uiwired", nic="none").replace(
            "<devices>", f"<devices><interface type='network'><source network='{net}'/></interface>"
        )
        name = define_stub(swept, "lab-a", "", start=False, xml=xml)
        app = console.app
        async with app.run_test(size=SIZE) as pilot:
            await shown_on(app, name, "lab-a")
            await command(pilot, f"migrate {name} lab-b")
            await wait_for(lambda: isinstance(app.screen, MigrateDialog))
            dialog = app.screen
            assert isinstance(dialog, MigrateDialog)
            await wait_for(lambda: dialog.check_state != "checking", 30)
            sentence = f"{name} uses network {net}, which lab-b does not have: define it there."
            assert dialog.problems == [sentence]
            shown = " ".join(text_of(dialog, "#checks").split())
            assert shown == f"1 check(s) failed; nothing can start: • {sentence}"
            await pilot.press("ctrl+s")
            await pilot.pause(0.3)
            assert app.screen is dialog  # no question, nothing started
            assert text_of(dialog, "#problem") == (
                "a check failed (above): nothing starts until it passes"
            )
            await pilot.press("escape")
            await wait_for(lambda: app.screen is app.main)
            assert not app.main.fleet.migrations  # type: ignore[union-attr]
        assert where(swept, name) == {"lab-a": False}
        assert console.migrations_audited() == []
    finally:
        a.networkLookupByName(net).undefine()
        a.close()


@pytest.fixture
def guest(swept: Lab, guest_boot_image: GuestBoot) -> Iterator[LinuxGuest]:
    """A real guest on lab-a, its disk in the shared images folder."""
    conn = swept.hosts["lab-a"].open()
    made = LinuxGuest.start(conn, "uiabort", nics=0, boot=guest_boot_image)
    try:
        yield made.wait_ready()
    finally:
        made.remove()
        conn.close()


async def test_abort_from_the_view_leaves_the_vm_running_on_the_source(
    swept: Lab, console: LabApp, guest: LinuxGuest
) -> None:
    # 32 MiB of random bytes in its memory: at 1 MiB/s that is half a minute to send.
    guest.shell.run("dd if=/dev/urandom of=/tmp/fill bs=1M count=32 2>/dev/null; echo ok", 60)
    app = console.app
    with shared_pool(swept, guest.directory):
        async with app.run_test(size=SIZE) as pilot:
            await shown_on(app, guest.name, "lab-a")
            await command(pilot, f"migrate {guest.name} lab-b")
            await wait_for(lambda: isinstance(app.screen, MigrateDialog))
            dialog = app.screen
            assert isinstance(dialog, MigrateDialog)
            dialog.query_one("#bandwidth", Input).focus()
            await pilot.press("end", "backspace", "1")
            await pilot.click("#shared")
            assert dialog.query_one("#shared", Checkbox).value
            await wait_for(lambda: dialog.check_state != "checking", 30)
            assert dialog.check_state == "passed", dialog.problems
            await pilot.press("ctrl+s")
            await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
            question = app.screen.question.plain  # type: ignore[attr-defined]
            assert "at most 1 MiB/s" in question and f"Migrate {guest.name} from lab-a" in question
            await pilot.press("y")
            await wait_for(lambda: isinstance(app.screen, MigrationScreen))
            view = app.screen
            assert isinstance(view, MigrationScreen)
            job = view.job
            await wait_for(
                lambda: job.progress is not None and job.progress.processed_bytes > 2 * 2**20, 60
            )
            key = ("lab-a", job.uuid)
            busy = re.compile(r"migrating \d+%")
            await wait_for(lambda: busy.fullmatch(table(app).busy.get(key, "")) is not None)
            assert text_of(view, "#figures").count("transfer rate") == 1
            await pilot.press("p")  # not allowed when it started: said, nothing asked
            assert view.said.startswith("post-copy was not allowed when it started: abort (a)")
            assert not isinstance(app.screen, ConfirmScreen)
            # A remedy: a new limit, asked for in MiB/s, set on the running job.
            await pilot.press("b")
            await wait_for(lambda: isinstance(app.screen, AskScreen))
            await pilot.press("end", *["backspace"] * 6, "2", "enter")
            await wait_for(lambda: app.screen is view)
            await wait_for(lambda: view.said == "the limit is now 2 MiB/s", 30)
            assert max_speed(swept, guest.name) == 2  # libvirt's word on lab-a
            await pilot.press("a")
            await wait_for(lambda: job.op.state.finished, 60)
            assert job.op.state is OpState.FAILED
            assert job.op.error == (
                f"aborted by the operator; {guest.name} is still running on lab-a"
            )
            await pilot.pause(0.6)
            assert text_of(view, "#outcome") == f"failed: {job.op.error}"
            await wait_for(lambda: key not in table(app).busy)
    assert where(swept, guest.name) == {"lab-a": True}
    assert guest.shell.run("echo still-here").strip().endswith("still-here")
    assert console.migrations_audited() == [(guest.name, "failed")]


async def test_evacuate_asks_first_and_no_moves_nothing_then_yes_moves_them(
    swept: Lab, console: LabApp
) -> None:
    names = sorted(define_stub(swept, "lab-a", f"uievac{i}", start=True) for i in range(2))
    app = console.app
    async with app.run_test(size=SIZE) as pilot:
        for name in names:
            await shown_on(app, name, "lab-a")
        await wait_for(
            lambda: all(
                r.mem_max_kib is not None
                for r in table(app).rows_by_key.values()
                if r.name in names
            )
        )
        await command(pilot, "evacuate lab-a")
        await wait_for(lambda: isinstance(app.screen, EvacuationScreen))
        screen = app.screen
        assert isinstance(screen, EvacuationScreen)
        await wait_for(lambda: screen.plan is not None, 30)
        assert screen.plan is not None
        assert sorted(m.vm.name for m in screen.plan.moves) == names
        await pilot.pause(0.6)
        plan_text = text_of(screen, "#plan")
        assert plan_text.startswith("plan: 2 VM(s) move (lab-b 2)")
        for name in names:
            assert f"{name} (64 MiB, 1 vCPU) → lab-b" in plan_text
        await pilot.press("ctrl+s")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
        question = app.screen.question.plain  # type: ignore[attr-defined]
        assert question.startswith("Evacuate lab-a: move 2 VMs to lab-b (")
        assert question.endswith(", 2 at a time?  y/N")
        await pilot.press("n")
        await wait_for(lambda: app.screen is screen)
        await pilot.pause(0.6)
        assert text_of(screen, "#status") == "not evacuated: nothing moved"
        assert screen.progress is None
        await asyncio.sleep(1.0)  # nothing starts later either
        for name in names:
            assert where(swept, name) == {"lab-a": True}
        assert console.migrations_audited() == []

        await pilot.press("ctrl+s")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
        started = time.monotonic()
        await pilot.press("y")
        await wait_for(lambda: app.screen is screen)
        await wait_for(lambda: screen.progress is not None and screen.progress.run is not None, 120)
        took = time.monotonic() - started
        await pilot.pause(0.6)
        assert text_of(screen, "#status") == "evacuate lab-a: 2 moved"
        for name in names:
            assert where(swept, name) == {"lab-b": True}
            await shown_on(app, name, "lab-b")
    assert sorted(console.migrations_audited()) == [(n, "succeeded") for n in names]
    print(f"\nUI evacuation of two 64 MiB stubs, 2 at a time: {took:.2f}s")


async def test_switching_to_postcopy_from_the_view_finishes_on_the_destination(
    swept: Lab, console: LabApp, guest: LinuxGuest
) -> None:
    guest.shell.run("dd if=/dev/urandom of=/tmp/fill bs=1M count=32 2>/dev/null; echo ok", 60)
    app = console.app
    with shared_pool(swept, guest.directory):
        async with app.run_test(size=SIZE) as pilot:
            await shown_on(app, guest.name, "lab-a")
            await command(pilot, f"migrate {guest.name} lab-b")
            await wait_for(lambda: isinstance(app.screen, MigrateDialog))
            dialog = app.screen
            assert isinstance(dialog, MigrateDialog)
            dialog.query_one("#bandwidth", Input).focus()
            await pilot.press("end", "backspace", "1")
            await pilot.click("#shared")
            await pilot.click("#postcopy")
            assert dialog.params().postcopy and dialog.params().shared_unseen
            await wait_for(lambda: dialog.check_state != "checking", 30)
            assert dialog.check_state == "passed", dialog.problems
            await pilot.press("ctrl+s")
            await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
            assert "post-copy allowed" in app.screen.question.plain  # type: ignore[attr-defined]
            await pilot.press("y")
            await wait_for(lambda: isinstance(app.screen, MigrationScreen))
            view = app.screen
            assert isinstance(view, MigrationScreen)
            job = view.job
            await wait_for(
                lambda: (
                    job.op.state.finished
                    or (job.progress is not None and job.progress.processed_bytes > 2 * 2**20)
                ),
                60,
            )
            assert not job.op.state.finished, job.op
            await pilot.press("p")
            await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
            question = app.screen.question.plain  # type: ignore[attr-defined]
            assert question.startswith(f"Switch {guest.name} to post-copy? It then runs on lab-b")
            started = time.monotonic()
            await pilot.press("y")
            await wait_for(lambda: job.op.state.finished, 90)
            took = time.monotonic() - started
            assert job.op.state is OpState.SUCCEEDED, job.op
    assert where(swept, guest.name) == {"lab-b": True}
    there = shell_on(swept, "lab-b", guest.name)
    try:
        there.write("\n")
        assert there.run("echo moved-by-postcopy").strip().endswith("moved-by-postcopy")
    finally:
        there.close()
    print(f"\npost-copy switch to both hosts' events (32 MiB dirty at 1 MiB/s): {took:.2f}s")
