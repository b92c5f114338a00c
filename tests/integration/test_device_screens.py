"""The device dialog and the XML screen on the real daemon, driven by keys: what the operator
sees, and what virsh says afterwards. The editor is a script named by $EDITOR."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Input, Label, Static

from limen_tui.ui.screens.device_forms import AttachDiskForm
from limen_tui.ui.screens.devices import DeviceScreen, change_runner
from limen_tui.ui.screens.domain_xml import XmlDiffScreen, XmlScreen
from tests.conftest import MakeVm, Virsh
from tests.harness.libvirtd import make_qcow2
from tests.integration.test_actions import Console, _console
from tests.integration.test_devices import DEVICE_SETTINGS, blocks
from tests.ui.helpers import wait_for

pytestmark = pytest.mark.libvirtd


@pytest.fixture
async def console(libvirtd: str) -> AsyncIterator[Console]:
    async for c in _console(libvirtd, DEVICE_SETTINGS):
        yield c


def shown(app: App[Any], selector: str) -> str:
    widget = app.screen.query_one(selector, Static)
    return str(widget.render())


def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> Path:
    """$EDITOR as a shell script with `body` run on the file ($1); it logs each run."""
    script = tmp_path / "editor.sh"
    script.write_text(f'#!/bin/sh\necho run >> "{tmp_path}/runs"\n{body}\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("EDITOR", str(script))
    monkeypatch.delenv("VISUAL", raising=False)
    return tmp_path / "runs"


async def xml_screen(console: Console, name: str, pilot_app: App[Any]) -> XmlScreen:
    (row,) = await console.until_seen(name)
    screen = XmlScreen(row, console.session, change_runner(row, console.session))
    await pilot_app.push_screen(screen)
    await wait_for(lambda: screen.base is not None, limit=20)
    return screen


async def test_an_edit_in_the_editor_is_shown_as_a_diff_then_defined(
    console: Console, vm_factory: MakeVm, virsh: Virsh, tmp_path: Path, monkeypatch: Any
) -> None:
    name = vm_factory("edit")
    editor(
        tmp_path, monkeypatch, "sed -i 's|<vcpu placement=.static.>1</vcpu>|<vcpu>2</vcpu>|' \"$1\""
    )
    app: App[None] = App()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await xml_screen(console, name, app)
        await pilot.press("e")
        await wait_for(lambda: isinstance(app.screen, XmlDiffScreen))
        diff = shown(app, "#diff-text")
        assert "-  <vcpu placement='static'>1</vcpu>" in diff and "+  <vcpu>2</vcpu>" in diff
        await pilot.press("enter")  # Enter says No: nothing is defined
        await wait_for(lambda: app.screen is screen)
        assert "<vcpu placement='static'>1</vcpu>" in virsh("dumpxml", name, "--inactive")
        assert "your edit is kept" in screen.note.plain

        await pilot.press("e")  # the kept edit again (the script's sed finds nothing more)
        await wait_for(lambda: isinstance(app.screen, XmlDiffScreen))
        await pilot.press("y")
        await wait_for(lambda: app.screen is screen and "saved" in screen.note.plain, 20)
        assert screen.note.plain == "new definition saved (libvirt: defined updated)"
    assert "<vcpu placement='static'>2</vcpu>" in virsh("dumpxml", name, "--inactive")
    assert console.audited(name) == [("edit_xml", "succeeded")]


async def test_an_edit_libvirt_rejects_is_refused_with_its_words_and_kept(
    console: Console, vm_factory: MakeVm, virsh: Virsh, tmp_path: Path, monkeypatch: Any
) -> None:
    name = vm_factory("reject")
    runs = editor(
        tmp_path,
        monkeypatch,
        f'sed -i \'s|<on_crash>destroy|<on_crash>explode|\' "$1"; cp "$1" {tmp_path}/seen.xml',
    )
    before = virsh("dumpxml", name, "--inactive")
    app: App[None] = App()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await xml_screen(console, name, app)
        await pilot.press("e")
        await wait_for(lambda: isinstance(app.screen, XmlDiffScreen))
        await pilot.press("y")
        await wait_for(lambda: "failed" in screen.note.plain, 20)
        assert "XML document failed to validate against schema" in screen.note.plain
        assert "Your edit is kept" in screen.note.plain
        assert virsh("dumpxml", name, "--inactive") == before
        await pilot.press("e")  # the editor gets the refused text back, not the original
        await wait_for(lambda: runs.read_text().count("run") == 2)
        assert "<on_crash>explode</on_crash>" in (tmp_path / "seen.xml").read_text()
    assert virsh("dumpxml", name, "--inactive") == before


async def test_an_unchanged_edit_says_no_change_and_a_broken_one_is_not_sent(
    console: Console, vm_factory: MakeVm, virsh: Virsh, tmp_path: Path, monkeypatch: Any
) -> None:
    name = vm_factory("same")
    before = virsh("dumpxml", name, "--inactive")
    editor(tmp_path, monkeypatch, "true")
    app: App[None] = App()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await xml_screen(console, name, app)
        await pilot.press("e")
        await wait_for(lambda: screen.note.plain == "no change")
        editor(tmp_path, monkeypatch, "echo '<domain><name>x' > \"$1\"")
        await pilot.press("e")
        await wait_for(lambda: "not well-formed" in screen.note.plain)
        assert app.screen is screen  # no diff offered, nothing sent
    assert virsh("dumpxml", name, "--inactive") == before
    assert console.audited(name) == []


async def test_a_running_vm_says_changes_apply_at_next_boot(
    console: Console, vm_factory: MakeVm, virsh: Virsh
) -> None:
    name = vm_factory("boot", start=True)
    virsh("setvcpus", name, "1", "--config", "--maximum")  # no difference yet
    app: App[None] = App()
    async with app.run_test(size=(120, 40)):
        screen = await xml_screen(console, name, app)
        assert "next boot" not in shown(app, "#xml-status")
        virsh("setmaxmem", name, "96M", "--config")
        screen.action_reload()
        await wait_for(lambda: "apply at next boot" in shown(app, "#xml-status"), 20)


async def test_the_device_dialog_attaches_a_disk_and_says_what_is_wrong_first(
    console: Console, vm_factory: MakeVm, virsh: Virsh, vm_disk_dir: Path
) -> None:
    name = vm_factory("dialog")
    disk = make_qcow2(vm_disk_dir / "d.qcow2")
    (row,) = await console.until_seen(name)
    app: App[None] = App()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = DeviceScreen(row, console.session, change_runner(row, console.session))
        await app.push_screen(screen)
        await wait_for(lambda: screen.devices is not None, 20)
        await pilot.press("a")
        await wait_for(lambda: isinstance(app.screen, AttachDiskForm))
        form = app.screen
        form.query_one("#volume", Input).value = "new.qcow2"
        form.query_one("#size", Input).value = "10X"
        form.query_one("#path", Input).focus()
        await pilot.press("enter")
        problem = str(form.query_one("#problem", Label).render())
        assert problem == "choose the pool of the new volume"
        form.query_one("#volume", Input).value = ""
        form.query_one("#size", Input).value = ""
        form.query_one("#path", Input).value = str(vm_disk_dir / "missing.qcow2")
        await pilot.press("enter")
        await wait_for(lambda: app.screen is screen)
        await wait_for(lambda: "attach disk failed" in screen.outcome.plain, 20)
        assert "there is no file" in screen.outcome.plain
        assert blocks(virsh, name, "--inactive") == {}

        await pilot.press("a")
        await wait_for(lambda: isinstance(app.screen, AttachDiskForm))
        app.screen.query_one("#path", Input).value = disk
        await pilot.press("enter")
        await wait_for(lambda: "attach disk succeeded" in screen.outcome.plain, 20)
    assert blocks(virsh, name, "--inactive") == {"vda": disk}


async def test_the_device_dialog_inserts_and_ejects_an_iso_and_sets_the_boot_order(
    console: Console, vm_factory: MakeVm, virsh: Virsh, vm_disk_dir: Path
) -> None:
    from limen_tui.ui.screens.ask import AskScreen
    from limen_tui.ui.screens.confirm import ConfirmScreen

    name = vm_factory("media")
    cdrom = vm_disk_dir / "cdrom.xml"
    cdrom.write_text(
        "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"
        "<target dev='hdc' bus='ide'/><readonly/></disk>"
    )
    virsh("attach-device", name, str(cdrom), "--config")
    virsh("start", name)
    iso = vm_disk_dir / "tools.iso"
    iso.write_bytes(b"\0" * 2048 * 16)
    await console.until_seen(name)

    def running() -> bool:
        found = console.row(name)
        return found is not None and found.state.is_active

    await wait_for(running, 20)
    row = console.row(name)
    assert row is not None
    app: App[None] = App()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = DeviceScreen(row, console.session, change_runner(row, console.session))
        await app.push_screen(screen)
        await wait_for(lambda: screen.devices is not None, 20)
        await pilot.press("i")
        await wait_for(lambda: isinstance(app.screen, AskScreen))
        await pilot.press(*str(iso), "enter")
        await wait_for(lambda: "change media succeeded" in screen.outcome.plain, 20)
        assert "(libvirt: tray " in screen.outcome.plain
        assert blocks(virsh, name)["hdc"] == str(iso)

        await pilot.press("e")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(
            lambda: screen.outcome.plain.startswith("change media succeeded: hdc ejected"), 20
        )
        assert blocks(virsh, name)["hdc"] == "-"

        await pilot.press("b")
        await wait_for(lambda: isinstance(app.screen, AskScreen))
        ask = app.screen
        await pilot.press("ctrl+a", "ctrl+k", *"hdc vdz", "enter")
        assert app.screen is ask  # an unknown device is refused by the question
        await pilot.press("ctrl+a", "ctrl+k", *"hdc", "enter")
        await wait_for(lambda: "set boot order succeeded" in screen.outcome.plain, 20)
        assert "applies at next boot" in screen.outcome.plain
    config = virsh("dumpxml", name, "--inactive")
    assert "<boot order='1'/>" in config.split("<disk")[1] and "<boot dev=" not in config
