"""Tags on real QEMU VMs: kept in the domain's metadata under our namespace, seen by virsh,
confirmed by libvirt's metadata event, read back by a console started afresh; another tool's
metadata left as it was."""

from __future__ import annotations

import re

import pytest

from limen_tui.fleet.operations import OpState
from limen_tui.model.tags import SetTags
from limen_tui.virt.tags import NAMESPACE
from tests.conftest import MakeVm, Virsh
from tests.integration.test_actions import FAST, Console, _console
from tests.ui.helpers import wait_for

pytestmark = pytest.mark.libvirtd

OTHER = "https://other-tool.example/ns"


def ours(virsh: Virsh, name: str, where: str) -> list[str]:
    """The tags virsh shows in our namespace."""
    return re.findall(r"<tag>([^<]*)</tag>", virsh("metadata", name, "--uri", NAMESPACE, where))


async def test_tags_are_in_our_namespace_for_virsh_and_survive_a_restart(
    vm_factory: MakeVm, virsh: Virsh, libvirtd: str
) -> None:
    running = vm_factory("tag-on", start=True)
    stopped = vm_factory("tag-off")
    for name, live in ((running, ("--live", "--config")), (stopped, ("--config",))):
        virsh("metadata", name, "--uri", OTHER, "--key", "other", "--set", "<x>keep</x>", *live)
    before = {n: virsh("metadata", n, "--uri", OTHER, "--config") for n in (running, stopped)}
    async for console in _console(libvirtd, FAST):
        await _tag_both(console, running, stopped, virsh, before)
    async for again in _console(libvirtd, FAST):  # a console started afresh reads them back
        await _read_back(again, {running: ("web", "ops"), stopped: ("db", "ops")})
    virsh("metadata", stopped, "--uri", NAMESPACE, "--remove", "--config")
    assert "keep" in virsh("metadata", stopped, "--uri", OTHER, "--config")


async def _read_back(console: Console, want: dict[str, tuple[str, ...]]) -> None:
    def seen() -> dict[str, tuple[str, ...]]:
        return {n: r.tags for n in want if (r := console.row(n)) is not None}

    await wait_for(lambda: seen() == want, 30)


async def _tag_both(
    console: Console, running: str, stopped: str, virsh: Virsh, before: dict[str, str]
) -> None:
    rows = await console.until_seen(running, stopped)
    assert all(r.tags == () for r in rows)

    for name, want in ((running, ("web", "prod")), (stopped, ("db",))):
        (row,) = await console.until_seen(name)
        (op,) = await console.fleet.perform([row], "set_tags", SetTags(replace=want))
        assert op.state is OpState.SUCCEEDED, op.error
        assert "metadata changed" in op.note  # libvirt's event said so
    assert ours(virsh, running, "--config") == ours(virsh, running, "--live") == ["web", "prod"]
    assert ours(virsh, stopped, "--config") == ["db"]
    assert {n: virsh("metadata", n, "--uri", OTHER, "--config") for n in before} == before
    assert "keep" in virsh("metadata", running, "--uri", OTHER, "--live")

    def tags(name: str) -> tuple[str, ...] | None:
        row = console.row(name)
        return None if row is None else row.tags

    await wait_for(lambda: tags(running) == ("web", "prod") and tags(stopped) == ("db",), 30)

    # The marked set: +ops -prod edits each VM's own tags.
    both = await console.until_seen(running, stopped)
    ops = await console.fleet.perform(both, "set_tags", SetTags(add=("ops",), remove=("prod",)))
    assert [o.state for o in ops] == [OpState.SUCCEEDED] * 2, [o.error for o in ops]
    await wait_for(lambda: tags(running) == ("web", "ops") and tags(stopped) == ("db", "ops"), 30)
    assert [a for a in console.audited(running) if a[0] == "set_tags"] == [
        ("set_tags", "succeeded")
    ] * 2
