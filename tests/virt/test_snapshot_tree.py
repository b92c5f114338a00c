"""Snapshot XML parsing, tree order, name checks and error sentences, without libvirt calls."""

from __future__ import annotations

import random
from typing import Any

import libvirt
import pytest

from limen_tui.model.snapshot import MAX_NAME_BYTES, SnapshotInfo, name_problem
from limen_tui.virt.snapshots import (
    SnapshotRefused,
    create_snapshot,
    explain,
    parse_snapshot_xml,
    snapshot_xml,
    tree_from_xml,
)

# Saved from libvirt 9.0 / QEMU 7.2 on the test host (the embedded <domain> trimmed).
RUNNING_XML = """<domainsnapshot>
  <name>r1</name>
  <state>running</state>
  <creationTime>1795318650</creationTime>
  <memory snapshot='internal'/>
  <disks>
    <disk name='vda' snapshot='internal'/>
  </disks>
  <domain type='qemu'><name>limen-t-2f287fe9-run</name></domain>
  <inactiveDomain type='qemu'><name>limen-t-2f287fe9-run</name></inactiveDomain>
  <cookie><slirpHelper/></cookie>
</domainsnapshot>
"""

SHUTOFF_CHILD_XML = """<domainsnapshot>
  <name>before upgrade</name>
  <description>line1
line2</description>
  <state>shutoff</state>
  <parent>
    <name>r1</name>
  </parent>
  <creationTime>1795318713</creationTime>
  <memory snapshot='no'/>
  <disks>
    <disk name='vda' snapshot='internal'/>
  </disks>
  <domain type='qemu'><name>limen-t-2f287fe9-run</name></domain>
</domainsnapshot>
"""


def snap(name: str, created: int, parent: str | None = None, state: str = "shutoff") -> str:
    parent_el = f"<parent><name>{parent}</name></parent>" if parent else ""
    memory = "internal" if state == "running" else "no"
    return (
        f"<domainsnapshot><name>{name}</name><state>{state}</state>{parent_el}"
        f"<creationTime>{created}</creationTime><memory snapshot='{memory}'/></domainsnapshot>"
    )


def shape(tree: list[SnapshotInfo]) -> list[tuple[str, int, str | None, tuple[str, ...]]]:
    return [(s.name, s.depth, s.parent, s.children) for s in tree]


def test_parse_running_snapshot_has_memory() -> None:
    p = parse_snapshot_xml(RUNNING_XML)
    assert p.name == "r1"
    assert p.parent is None
    assert p.created == 1795318650.0
    assert p.state == "running"
    assert p.has_memory is True
    assert p.description == ""


def test_parse_shut_off_child_keeps_parent_and_description() -> None:
    p = parse_snapshot_xml(SHUTOFF_CHILD_XML)
    assert (p.name, p.parent, p.state, p.has_memory) == ("before upgrade", "r1", "shutoff", False)
    assert p.description == "line1\nline2"


@pytest.mark.parametrize(
    ("state", "has_memory"), [("running", True), ("paused", True), ("shutoff", False)]
)
def test_parse_without_memory_element_guesses_from_state(state: str, has_memory: bool) -> None:
    xml = f"<domainsnapshot><name>old</name><state>{state}</state></domainsnapshot>"
    assert parse_snapshot_xml(xml).has_memory is has_memory


def test_tree_puts_parents_first_and_siblings_oldest_first() -> None:
    # a ─┬─ b ── c
    #    └─ d          (d was created after a revert to a)
    # e                (second root, newest)
    xmls = [
        snap("a", 100),
        snap("b", 200, "a"),
        snap("c", 300, "b"),
        snap("d", 400, "a"),
        snap("e", 500),
    ]
    expected = [
        ("a", 0, None, ("b", "d")),
        ("b", 1, "a", ("c",)),
        ("c", 2, "b", ()),
        ("d", 1, "a", ()),
        ("e", 0, None, ()),
    ]
    rng = random.Random(7)
    for _ in range(20):  # libvirt lists snapshots in hash order: the input order must not matter
        rng.shuffle(xmls)
        tree = tree_from_xml(xmls, current="d")
        assert shape(tree) == expected
        assert [s.name for s in tree if s.is_current] == ["d"]


def test_siblings_made_in_the_same_second_sort_by_name() -> None:
    tree = tree_from_xml([snap("root", 1), snap("zz", 5, "root"), snap("aa", 5, "root")], None)
    assert [s.name for s in tree] == ["root", "aa", "zz"]
    assert tree[0].children == ("aa", "zz")
    assert not any(s.is_current for s in tree)


def test_child_whose_parent_vanished_becomes_a_root() -> None:
    # The parent was deleted between listAllSnapshots and its getXMLDesc.
    tree = tree_from_xml([snap("kept", 10, "gone"), snap("other", 5)], "kept")
    assert shape(tree) == [("other", 0, None, ()), ("kept", 0, None, ())]


def test_a_parent_loop_still_lists_every_snapshot_once() -> None:
    tree = tree_from_xml([snap("x", 1, "y"), snap("y", 2, "x"), snap("z", 3)], None)
    assert sorted(s.name for s in tree) == ["x", "y", "z"]
    assert len(tree) == 3


def test_empty_tree() -> None:
    assert tree_from_xml([], None) == []


def test_deep_chain_does_not_recurse() -> None:
    xmls = [snap("s0", 0)] + [snap(f"s{i}", i, f"s{i - 1}") for i in range(1, 3000)]
    tree = tree_from_xml(xmls, "s2999")
    assert tree[-1].depth == 2999 and tree[-1].is_current


# ------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "a snapshot needs a name"),
        ("   ", "a snapshot needs a name"),
        (" lead", "a snapshot name cannot start or end with a space"),
        ("tab\there", "a snapshot name cannot contain control or invisible characters"),
        ("new\nline", "a snapshot name cannot contain control or invisible characters"),
        ("zero\u200bwidth", "a snapshot name cannot contain control or invisible characters"),
        ("a/b", "a snapshot name cannot contain '/'"),
        ("..", "a snapshot name cannot start with '.'"),
        ("x" * (MAX_NAME_BYTES + 1), "a snapshot name can be at most 247 bytes long"),
        ("é" * 124, "a snapshot name can be at most 247 bytes long (this one is 248)"),
    ],
)
def test_bad_names(name: str, problem: str) -> None:
    found = name_problem(name)
    assert found is not None and found.startswith(problem)


@pytest.mark.parametrize(
    "name", ["1", "before upgrade", "a:b;c", "'q\"<&>", "x" * MAX_NAME_BYTES, "é" * 123, "-dash"]
)
def test_good_names(name: str) -> None:
    assert name_problem(name) is None


def test_snapshot_xml_escapes_and_states_memory() -> None:
    p = parse_snapshot_xml(snapshot_xml("<a&b>", "x\ny", with_memory=True))
    assert (p.name, p.description, p.has_memory) == ("<a&b>", "x\ny", True)
    assert parse_snapshot_xml(snapshot_xml("n", "", with_memory=False)).has_memory is False


class NoLibvirt:
    """A domain stand-in that fails the test if any libvirt call is made."""

    def __getattr__(self, attr: str) -> Any:
        raise AssertionError(f"libvirt was called: {attr}")


class NamesOnly:
    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.called: list[str] = []

    def snapshotListNames(self, flags: int) -> list[str]:
        self.called.append("snapshotListNames")
        return self.names

    def snapshotCreateXML(self, xml: str, flags: int) -> None:
        raise AssertionError("snapshotCreateXML was called")


@pytest.mark.parametrize("name", ["", "a/b", ".hidden", "x" * 300, "two\nlines"])
def test_invalid_name_is_refused_before_libvirt(name: str) -> None:
    with pytest.raises(SnapshotRefused) as caught:
        create_snapshot(NoLibvirt(), name, with_memory=False)
    assert explain(caught.value) == name_problem(name)


def test_bad_description_is_refused_before_libvirt() -> None:
    with pytest.raises(SnapshotRefused, match="no other control characters"):
        create_snapshot(NoLibvirt(), "ok", "bell\x07", with_memory=False)


def test_duplicate_from_a_tree_already_read_costs_no_call() -> None:
    with pytest.raises(SnapshotRefused) as caught:
        create_snapshot(NoLibvirt(), "base", with_memory=False, existing={"base", "next"})
    assert explain(caught.value) == "this VM already has a snapshot named 'base'"


def test_duplicate_costs_only_the_name_listing() -> None:
    dom = NamesOnly(["base"])
    with pytest.raises(SnapshotRefused, match="already has a snapshot named 'base'"):
        create_snapshot(dom, "base", with_memory=True)
    assert dom.called == ["snapshotListNames"]


# ---------------------------------------------------------------------- sentences


def libvirt_error(code: int, domain: int, message: str) -> libvirt.libvirtError:
    exc = libvirt.libvirtError(message)
    exc.err = (code, domain, message, libvirt.VIR_ERR_ERROR, None, None, None, 0, 0)
    return exc


# (code, domain, message exactly as libvirt 9.0 gave it here, expected sentence)
OBSERVED = [
    (
        libvirt.VIR_ERR_CONFIG_UNSUPPORTED,
        libvirt.VIR_FROM_QEMU,
        "unsupported configuration: internal snapshot for disk vda unsupported for storage "
        "type raw",
        "internal snapshots of a disk in raw format are not supported: disk vda cannot hold "
        "them (convert the disk to qcow2)",
    ),
    (
        libvirt.VIR_ERR_CONFIG_UNSUPPORTED,
        libvirt.VIR_FROM_QEMU,
        "unsupported configuration: nothing selected for snapshot",
        "this VM has no disk to snapshot: internal snapshots are stored inside its qcow2 disks",
    ),
    (
        libvirt.VIR_ERR_CONFIG_UNSUPPORTED,
        libvirt.VIR_FROM_QEMU,
        "unsupported configuration: internal and full system snapshots require all disks to be "
        "selected for snapshot",
        "this VM has no disk that can hold an internal snapshot: they are stored inside qcow2 "
        "disks, memory included",
    ),
    (
        libvirt.VIR_ERR_OPERATION_FAILED,
        libvirt.VIR_FROM_DOMAIN,
        "operation failed: domain moment s1 already exists",
        "this VM already has a snapshot named 's1'",
    ),
    (
        libvirt.VIR_ERR_XML_ERROR,
        libvirt.VIR_FROM_DOMAIN_SNAPSHOT,
        "XML error: memory state cannot be saved with offline or disk-only snapshot",
        "the VM is not running, so there is no memory to save: take the snapshot without memory",
    ),
    (
        libvirt.VIR_ERR_OPERATION_UNSUPPORTED,
        libvirt.VIR_FROM_QEMU,
        "Operation not supported: internal snapshot of a running VM must include the memory state",
        "a snapshot of a running VM must include its memory: take it with memory, or shut the "
        "VM down first",
    ),
    (
        libvirt.VIR_ERR_OPERATION_UNSUPPORTED,
        libvirt.VIR_FROM_QEMU,
        "Operation not supported: internal snapshots of a VM with pflash based firmware are not "
        "supported",
        "this VM boots UEFI firmware from pflash, and QEMU cannot take an internal snapshot of "
        "it while it runs: shut it down first (a disk-only snapshot works)",
    ),
    (
        libvirt.VIR_ERR_INTERNAL_ERROR,
        libvirt.VIR_FROM_QEMU,
        "internal error: unable to save metadata for snapshot " + "y" * 248,
        "libvirt could not record the snapshot (a name longer than 247 bytes does this); the "
        "disk may keep a snapshot libvirt does not list (qemu-img snapshot -l)",
    ),
    (
        libvirt.VIR_ERR_INTERNAL_ERROR,
        libvirt.VIR_FROM_NONE,
        "internal error: Child process (/usr/bin/qemu-img snapshot -c x /img/shared.qcow2) "
        "unexpected exit status 1: qemu-img: Could not open '/img/shared.qcow2': Failed to get "
        '"write" lock\nIs another process using the image [/img/shared.qcow2]?\n',
        "the disk image /img/shared.qcow2 is in use by another process (another VM using the "
        "same disk?)",
    ),
    (
        libvirt.VIR_ERR_INTERNAL_ERROR,
        libvirt.VIR_FROM_NONE,
        "internal error: Child process (/usr/bin/qemu-img snapshot -c x /img/miss.qcow2) "
        "unexpected exit status 1: qemu-img: Could not open '/img/miss.qcow2': Could not open "
        "'/img/miss.qcow2': No such file or directory\n",
        "the disk image /img/miss.qcow2 could not be opened: No such file or directory",
    ),
    (
        libvirt.VIR_ERR_CONFIG_UNSUPPORTED,
        libvirt.VIR_FROM_QEMU,
        "unsupported configuration: revert to external snapshot not supported yet",
        "this libvirt cannot revert to an external snapshot",
    ),
    (
        libvirt.VIR_ERR_OPERATION_UNSUPPORTED,
        libvirt.VIR_FROM_QEMU,
        "Operation not supported: deleting external snapshot that has internal snapshot as "
        "parent not supported",
        "this libvirt cannot delete an external snapshot whose parent is an internal one",
    ),
    (
        libvirt.VIR_ERR_NO_DOMAIN_SNAPSHOT,
        libvirt.VIR_FROM_QEMU,
        "Domain snapshot not found: no domain snapshot with matching name 'nope'",
        "this VM has no snapshot named 'nope' (it may have just been deleted)",
    ),
    (
        libvirt.VIR_ERR_NO_DOMAIN_SNAPSHOT,
        libvirt.VIR_FROM_QEMU,
        "Domain snapshot not found: the domain does not have a current snapshot",
        "this VM has no current snapshot",
    ),
    (
        libvirt.VIR_ERR_NO_DOMAIN,
        libvirt.VIR_FROM_QEMU,
        "Domain not found: no domain with matching uuid '53c67d6b-0e04-43df-a433-8a0b668d483c' "
        "(limen-t-7ed39cc0-gone)",
        "the VM no longer exists on this host",
    ),
    (
        libvirt.VIR_ERR_OPERATION_DENIED,
        libvirt.VIR_FROM_DOMAIN_SNAPSHOT,
        "operation forbidden: read only access prevents virDomainSnapshotCreateXML",
        "the connection to this host is read-only: snapshots can be listed but not changed",
    ),
]


@pytest.mark.parametrize(("code", "domain", "message", "sentence"), OBSERVED)
def test_observed_libvirt_errors_become_sentences(
    code: int, domain: int, message: str, sentence: str
) -> None:
    assert explain(libvirt_error(code, domain, message)) == sentence


def test_a_reworded_message_still_gets_the_sentence_for_its_code() -> None:
    exc = libvirt_error(libvirt.VIR_ERR_NO_DOMAIN_SNAPSHOT, libvirt.VIR_FROM_QEMU, "anders")
    assert explain(exc) == "that snapshot no longer exists on this VM"


def test_an_unknown_error_falls_back_to_libvirts_own_words() -> None:
    exc = libvirt_error(libvirt.VIR_ERR_INTERNAL_ERROR, libvirt.VIR_FROM_QEMU, "odd\n  thing")
    assert explain(exc) == "odd thing"
    assert explain(RuntimeError("boom")) == "boom"
