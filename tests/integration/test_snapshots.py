"""Internal snapshots on the real libvirtd with QEMU/TCG: tree, create, revert, delete, errors."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import libvirt
import pytest

from limen_tui.model.snapshot import SnapshotInfo
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.snapshots import (
    SnapshotRefused,
    create_snapshot,
    delete_snapshot,
    explain,
    revert_snapshot,
    snapshot_tree,
)
from tests.conftest import MakeVm, Virsh
from tests.harness.libvirtd import make_qcow2

pytestmark = pytest.mark.libvirtd

OVMF_DIR = Path("/usr/share/OVMF")


@pytest.fixture
def conn(libvirtd: str) -> Iterator[libvirt.virConnect]:
    c = libvirt.open(libvirtd)
    try:
        yield c
    finally:
        c.close()


def qcow2_vm(vm_factory: MakeVm, disk_dir: Path, suffix: str, *, start: bool = False) -> str:
    disk = make_qcow2(disk_dir / f"{suffix}.qcow2")
    return vm_factory(suffix, start=start, disk_path=disk)


def redefine(
    conn: libvirt.virConnect, name: str, change: Callable[[ET.Element], None]
) -> libvirt.virDomain:
    """Edit a shut-off domain's XML with `change(root)` and define it again."""
    root = ET.fromstring(conn.lookupByName(name).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    change(root)
    return conn.defineXML(ET.tostring(root, encoding="unicode"))


def names(tree: list[SnapshotInfo]) -> list[str]:
    return [s.name for s in tree]


def by_name(tree: list[SnapshotInfo]) -> dict[str, SnapshotInfo]:
    return {s.name: s for s in tree}


def current(virsh: Virsh, vm: str) -> str:
    """The current snapshot as a second connection (virsh) sees it."""
    return virsh("snapshot-current", "--name", vm).strip()


def failure(fn: Callable[[], object]) -> str:
    with pytest.raises(libvirt.libvirtError) as caught:
        fn()
    return explain(caught.value)


# ------------------------------------------------------------------------- create


def test_snapshot_of_a_shut_off_vm_is_disk_only_and_current(
    conn: libvirt.virConnect, vm_factory: MakeVm, vm_disk_dir: Path, virsh: Virsh
) -> None:
    name = qcow2_vm(vm_factory, vm_disk_dir, "cold")
    dom = conn.lookupByName(name)
    assert snapshot_tree(dom) == []

    create_snapshot(dom, "base", "fresh install\nno updates", with_memory=False)

    [snap] = snapshot_tree(dom)
    assert snap.name == "base"
    assert snap.parent is None and snap.children == () and snap.depth == 0
    assert snap.is_current
    assert snap.state == "shutoff"
    assert snap.has_memory is False
    assert snap.description == "fresh install\nno updates"
    assert snap.created > 1_600_000_000
    assert current(virsh, name) == "base"


def test_snapshot_with_memory_of_a_running_vm(
    conn: libvirt.virConnect, vm_factory: MakeVm, vm_disk_dir: Path
) -> None:
    name = qcow2_vm(vm_factory, vm_disk_dir, "warm", start=True)
    dom = conn.lookupByName(name)

    create_snapshot(dom, "live", with_memory=True)

    [snap] = snapshot_tree(dom)
    assert (snap.name, snap.state, snap.has_memory, snap.is_current) == (
        "live",
        "running",
        True,
        True,
    )
    assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING


def test_a_running_vm_needs_memory_in_an_internal_snapshot(
    conn: libvirt.virConnect, vm_factory: MakeVm, vm_disk_dir: Path
) -> None:
    dom = conn.lookupByName(qcow2_vm(vm_factory, vm_disk_dir, "nomem", start=True))
    sentence = failure(lambda: create_snapshot(dom, "disk-only", with_memory=False))
    assert sentence == (
        "a snapshot of a running VM must include its memory: take it with memory, or shut the "
        "VM down first"
    )
    assert snapshot_tree(dom) == []


def test_a_shut_off_vm_has_no_memory_to_save(
    conn: libvirt.virConnect, vm_factory: MakeVm, vm_disk_dir: Path
) -> None:
    dom = conn.lookupByName(qcow2_vm(vm_factory, vm_disk_dir, "offmem"))
    sentence = failure(lambda: create_snapshot(dom, "mem", with_memory=True))
    assert sentence == (
        "the VM is not running, so there is no memory to save: take the snapshot without memory"
    )


# --------------------------------------------------------------------------- tree


def test_tree_of_a_chain_and_a_branch_in_n_plus_two_calls(
    conn: libvirt.virConnect, vm_factory: MakeVm, vm_disk_dir: Path, virsh: Virsh
) -> None:
    name = qcow2_vm(vm_factory, vm_disk_dir, "tree")
    dom = conn.lookupByName(name)
    for snap in ("a", "b", "c"):  # a ── b ── c
        create_snapshot(dom, snap, with_memory=False)
    revert_snapshot(dom, "a")
    create_snapshot(dom, "d", with_memory=False)  # a ─┬─ b ── c
    #                                                 └─ d  (current)
    calls = CallCounter()
    tree = snapshot_tree(dom, calls=calls)

    assert calls.tally() == {
        "listAllSnapshots": 1,
        "snapshotGetXMLDesc": 4,
        "snapshotCurrent": 1,
    }
    assert [(s.name, s.depth, s.parent, s.children) for s in tree] == [
        ("a", 0, None, ("b", "d")),
        ("b", 1, "a", ("c",)),
        ("c", 2, "b", ()),
        ("d", 1, "a", ()),
    ]
    assert [s.name for s in tree if s.is_current] == ["d"]
    assert current(virsh, name) == "d"
    created = [s.created for s in tree]
    assert created[0] <= created[1] <= created[2] <= created[3]


def test_an_empty_tree_costs_one_call(conn: libvirt.virConnect, vm_factory: MakeVm) -> None:
    calls = CallCounter()
    assert snapshot_tree(conn.lookupByName(vm_factory("empty")), calls=calls) == []
    assert calls.tally() == {"listAllSnapshots": 1}


# ------------------------------------------------------------------------- revert


def test_revert_restores_run_state_and_moves_current(
    conn: libvirt.virConnect, vm_factory: MakeVm, vm_disk_dir: Path, virsh: Virsh
) -> None:
    name = qcow2_vm(vm_factory, vm_disk_dir, "revert")
    dom = conn.lookupByName(name)
    create_snapshot(dom, "cold", with_memory=False)
    dom.create()
    create_snapshot(dom, "warm", with_memory=True)
    assert current(virsh, name) == "warm"

    revert_snapshot(dom, "cold")
    assert virsh("domstate", name).strip() == "shut off"
    assert current(virsh, name) == "cold"
    assert by_name(snapshot_tree(dom))["cold"].is_current

    revert_snapshot(dom, "warm")
    assert virsh("domstate", name).strip() == "running"
    assert current(virsh, name) == "warm"
    assert dom.state() == [libvirt.VIR_DOMAIN_RUNNING, libvirt.VIR_DOMAIN_RUNNING_FROM_SNAPSHOT]


def test_revert_to_an_unknown_snapshot(
    conn: libvirt.virConnect, vm_factory: MakeVm, vm_disk_dir: Path
) -> None:
    dom = conn.lookupByName(qcow2_vm(vm_factory, vm_disk_dir, "unknown"))
    sentence = failure(lambda: revert_snapshot(dom, "nope"))
    assert sentence == "this VM has no snapshot named 'nope' (it may have just been deleted)"


# ------------------------------------------------------------------------- delete


def test_delete_one_moves_its_children_up(
    conn: libvirt.virConnect, vm_factory: MakeVm, vm_disk_dir: Path, virsh: Virsh
) -> None:
    name = qcow2_vm(vm_factory, vm_disk_dir, "del1")
    dom = conn.lookupByName(name)
    for snap in ("a", "b", "c"):
        create_snapshot(dom, snap, with_memory=False)

    delete_snapshot(dom, "b", with_children=False)

    tree = snapshot_tree(dom)
    assert [(s.name, s.depth, s.parent, s.children) for s in tree] == [
        ("a", 0, None, ("c",)),
        ("c", 1, "a", ()),
    ]
    assert current(virsh, name) == "c"


def test_delete_with_children_removes_the_whole_branch(
    conn: libvirt.virConnect, vm_factory: MakeVm, vm_disk_dir: Path, virsh: Virsh
) -> None:
    name = qcow2_vm(vm_factory, vm_disk_dir, "delkids")
    dom = conn.lookupByName(name)
    for snap in ("a", "b", "c"):
        create_snapshot(dom, snap, with_memory=False)
    revert_snapshot(dom, "a")
    create_snapshot(dom, "d", with_memory=False)

    delete_snapshot(dom, "b", with_children=True)

    tree = snapshot_tree(dom)
    assert [(s.name, s.children) for s in tree] == [("a", ("d",)), ("d", ())]
    assert virsh("snapshot-list", "--name", name).split() == ["a", "d"]


# ------------------------------------------------------------------------- errors


def test_duplicate_name_is_refused_before_libvirt(
    conn: libvirt.virConnect, vm_factory: MakeVm, vm_disk_dir: Path
) -> None:
    dom = conn.lookupByName(qcow2_vm(vm_factory, vm_disk_dir, "dup"))
    create_snapshot(dom, "base", with_memory=False)
    calls = CallCounter()
    with pytest.raises(SnapshotRefused) as caught:
        create_snapshot(dom, "base", with_memory=False, calls=calls)
    assert explain(caught.value) == "this VM already has a snapshot named 'base'"
    assert calls.tally() == {"snapshotListNames": 1}
    # libvirt's own refusal, for comparison, reads the same once explained.
    raw = failure(
        lambda: dom.snapshotCreateXML("<domainsnapshot><name>base</name></domainsnapshot>")
    )
    assert raw == "this VM already has a snapshot named 'base'"


def test_raw_disk_cannot_hold_internal_snapshots(
    conn: libvirt.virConnect, vm_factory: MakeVm, vm_disk_dir: Path
) -> None:
    image = vm_disk_dir / "raw.img"
    with image.open("wb") as f:
        f.truncate(16 * 1024 * 1024)
    name = vm_factory("raw", disk_path=str(image))

    def to_raw(root: ET.Element) -> None:
        driver = root.find("./devices/disk/driver")
        assert driver is not None
        driver.set("type", "raw")

    dom = redefine(conn, name, to_raw)
    expected = (
        "internal snapshots of a disk in raw format are not supported: disk vda cannot hold "
        "them (convert the disk to qcow2)"
    )
    assert failure(lambda: create_snapshot(dom, "s", with_memory=False)) == expected
    dom.create()
    assert failure(lambda: create_snapshot(dom, "s", with_memory=True)) == expected


def test_diskless_vm_has_nothing_to_snapshot(conn: libvirt.virConnect, vm_factory: MakeVm) -> None:
    dom = conn.lookupByName(vm_factory("diskless"))
    assert failure(lambda: create_snapshot(dom, "s", with_memory=False)) == (
        "this VM has no disk to snapshot: internal snapshots are stored inside its qcow2 disks"
    )
    dom.create()
    assert failure(lambda: create_snapshot(dom, "s", with_memory=True)) == (
        "this VM has no disk that can hold an internal snapshot: they are stored inside qcow2 "
        "disks, memory included"
    )


def test_disk_in_use_by_another_vm(
    conn: libvirt.virConnect, vm_factory: MakeVm, vm_disk_dir: Path
) -> None:
    shared = make_qcow2(vm_disk_dir / "shared.qcow2")
    vm_factory("holder", start=True, disk_path=shared)
    dom = conn.lookupByName(vm_factory("sharer", disk_path=shared))
    assert failure(lambda: create_snapshot(dom, "s", with_memory=False)) == (
        f"the disk image {shared} is in use by another process (another VM using the same disk?)"
    )


def test_missing_disk_image(
    conn: libvirt.virConnect, vm_factory: MakeVm, vm_disk_dir: Path
) -> None:
    image = make_qcow2(vm_disk_dir / "gone.qcow2")
    dom = conn.lookupByName(vm_factory("nodisk", disk_path=image))
    Path(image).unlink()
    assert failure(lambda: create_snapshot(dom, "s", with_memory=False)) == (
        f"the disk image {image} could not be opened: No such file or directory"
    )


def test_read_only_connection_cannot_change_snapshots(
    libvirtd: str, vm_factory: MakeVm, vm_disk_dir: Path
) -> None:
    name = qcow2_vm(vm_factory, vm_disk_dir, "ro")
    ro = libvirt.openReadOnly(libvirtd)
    try:
        dom = ro.lookupByName(name)
        assert failure(lambda: create_snapshot(dom, "s", with_memory=False, existing=())) == (
            "the connection to this host is read-only: snapshots can be listed but not changed"
        )
        assert snapshot_tree(dom) == []
    finally:
        ro.close()


@pytest.mark.skipif(not OVMF_DIR.is_dir(), reason="no OVMF (UEFI) firmware installed")
def test_running_uefi_vm_refuses_internal_snapshots(
    conn: libvirt.virConnect, vm_factory: MakeVm, vm_disk_dir: Path
) -> None:
    name = qcow2_vm(vm_factory, vm_disk_dir, "uefi")

    def to_uefi(root: ET.Element) -> None:
        os_el = root.find("os")
        type_el = root.find("os/type")
        assert os_el is not None and type_el is not None
        os_el.set("firmware", "efi")
        type_el.set("machine", "q35")
        # Let libvirt pick the q35 controllers and PCI addresses again.
        doomed = [(el, c) for el in root.iter() for c in el if c.tag in ("address", "controller")]
        for el, child in doomed:
            el.remove(child)

    dom = redefine(conn, name, to_uefi)
    create_snapshot(dom, "off", with_memory=False)  # shut off: a disk-only snapshot works
    dom.create()
    assert failure(lambda: create_snapshot(dom, "on", with_memory=True)) == (
        "this VM boots UEFI firmware from pflash, and QEMU cannot take an internal snapshot of "
        "it while it runs: shut it down first (a disk-only snapshot works)"
    )
