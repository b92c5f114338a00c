"""Editing a domain's XML on the real daemon: validated by libvirt before anything is replaced,
an invalid edit refused with libvirt's words and the domain left as it was (virsh dumpxml)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from limen_tui.fleet.device_reads import edit_base, live_config
from limen_tui.fleet.operations import Operation, OpState
from limen_tui.model.device_params import EditXml
from limen_tui.model.xml_edit import live_vs_config, sha256
from tests.conftest import MakeVm, Virsh
from tests.integration.test_actions import Console, _console
from tests.integration.test_devices import DEVICE_SETTINGS

pytestmark = pytest.mark.libvirtd


@pytest.fixture
async def console(libvirtd: str) -> AsyncIterator[Console]:
    async for c in _console(libvirtd, DEVICE_SETTINGS):
        yield c


async def edit(console: Console, name: str, change: tuple[str, str]) -> Operation:
    (row,) = await console.until_seen(name)
    base = await edit_base(console.session, row.uuid)
    assert change[0] in base or change == ("", "")
    edited = base.replace(*change) if change[0] else base
    (op,) = await console.fleet.perform([row], "edit_xml", EditXml(edited, sha256(base)))
    return op


async def test_a_valid_edit_is_defined_and_confirmed(
    console: Console, vm_factory: MakeVm, virsh: Virsh
) -> None:
    name = vm_factory("good")
    op = await edit(console, name, ("<vcpu placement='static'>1</vcpu>", "<vcpu>2</vcpu>"))
    assert op.state is OpState.SUCCEEDED, op.error
    assert op.note == "new definition saved (libvirt: defined updated)"
    assert "<vcpu placement='static'>2</vcpu>" in virsh("dumpxml", name, "--inactive")
    assert console.audited(name) == [("edit_xml", "succeeded")]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (("<vcpu placement='static'>1</vcpu>", "<vcpux>1</vcpux>"), "Element domain has extra"),
        (("<on_crash>destroy</on_crash>", "<on_crash>explode</on_crash>"), "on_crash"),
    ],
)
async def test_an_invalid_edit_is_refused_with_libvirts_words_and_nothing_changes(
    console: Console, vm_factory: MakeVm, virsh: Virsh, change: tuple[str, str], words: str
) -> None:
    name = vm_factory("bad", nic="user")
    before = virsh("dumpxml", name, "--inactive")
    op = await edit(console, name, change)
    assert op.state is OpState.FAILED
    assert "XML document failed to validate against schema" in op.error and words in op.error
    assert virsh("dumpxml", name, "--inactive") == before
    assert console.audited(name) == [("edit_xml", "failed")]


async def test_an_unchanged_edit_says_no_change(
    console: Console, vm_factory: MakeVm, virsh: Virsh
) -> None:
    name = vm_factory("same")
    op = await edit(console, name, ("", ""))
    assert (op.state, op.note) == (OpState.SUCCEEDED, "no change")


async def test_an_edit_of_a_definition_that_changed_meanwhile_is_refused(
    console: Console, vm_factory: MakeVm, virsh: Virsh
) -> None:
    name = vm_factory("raced")
    (row,) = await console.until_seen(name)
    base = await edit_base(console.session, row.uuid)
    virsh("setmaxmem", name, "96M", "--config")  # another client changes it meanwhile
    after_other = virsh("dumpxml", name, "--inactive")
    params = EditXml(
        base.replace("<vcpu placement='static'>1", "<vcpu placement='static'>2"), sha256(base)
    )
    (op,) = await console.fleet.perform([row], "edit_xml", params)
    assert op.state is OpState.FAILED and "changed since the edit began" in op.error
    assert virsh("dumpxml", name, "--inactive") == after_other


async def test_an_edit_of_a_running_vm_applies_at_next_boot_and_the_difference_shows(
    console: Console, vm_factory: MakeVm, virsh: Virsh
) -> None:
    name = vm_factory("running", start=True)
    (row,) = await console.until_seen(name)
    live, config = await live_config(console.session, row.uuid)
    assert live is not None and live_vs_config(live, config) == []

    op = await edit(console, name, ("<vcpu placement='static'>1</vcpu>", "<vcpu>2</vcpu>"))
    assert op.state is OpState.SUCCEEDED, op.error
    assert "applies at next boot" in op.note
    assert virsh("vcpucount", name, "--live").strip() == "1"
    live, config = await live_config(console.session, row.uuid)
    assert live is not None
    differs = live_vs_config(live, config)
    assert '-  <vcpu placement="static">2</vcpu>' in differs
    assert '+  <vcpu placement="static">1</vcpu>' in differs
