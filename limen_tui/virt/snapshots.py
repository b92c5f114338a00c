"""Internal snapshots of one VM: read the tree, create, revert, delete, explain failures.

Blocking libvirt calls: run them from a worker. The tree costs N + 2 calls for N snapshots
(one `listAllSnapshots`, one `getXMLDesc` per snapshot, one `snapshotCurrent`); libvirt has no
bulk call for snapshot XML, and fetching the XML in parallel threads was slower here.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import NamedTuple

import libvirt

from limen_tui.model.snapshot import MAX_NAME_BYTES, SnapshotInfo, name_problem
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.connection import describe_error

_NO_MEMORY_STATES = frozenset({"shutoff", "shutdown", "crashed", "disk-snapshot"})


class SnapshotRefused(ValueError):
    """A request refused before libvirt was asked; the message is a plain sentence."""


class ParsedSnapshot(NamedTuple):
    name: str
    parent: str | None
    created: float
    state: str
    description: str
    has_memory: bool


def _record(calls: CallCounter | None, kind: str, n: int = 1) -> None:
    if calls is not None:
        calls.record(kind, n)


# ------------------------------------------------------------------------ reading


def parse_snapshot_xml(xml: str) -> ParsedSnapshot:
    """Read the fields the tree needs from one `<domainsnapshot>` document."""
    root = ET.fromstring(xml)
    state = (root.findtext("state") or "").strip()
    memory = root.find("memory")
    if memory is not None and memory.get("snapshot"):
        has_memory = memory.get("snapshot") in ("internal", "external")
    else:  # older libvirt wrote no <memory>: a snapshot of a live VM held its memory
        has_memory = bool(state) and state not in _NO_MEMORY_STATES
    try:
        created = float(root.findtext("creationTime") or 0)
    except ValueError:
        created = 0.0
    return ParsedSnapshot(
        name=root.findtext("name") or "",
        parent=root.findtext("parent/name"),
        created=created,
        state=state,
        description=root.findtext("description") or "",
        has_memory=has_memory,
    )


def build_tree(parsed: Iterable[ParsedSnapshot], current: str | None) -> list[SnapshotInfo]:
    """Tree order: each parent before its children, siblings oldest first (then by name)."""
    by_name = {p.name: p for p in parsed}

    def parent_of(p: ParsedSnapshot) -> str | None:
        return p.parent if p.parent in by_name and p.parent != p.name else None

    kids: defaultdict[str | None, list[ParsedSnapshot]] = defaultdict(list)
    for p in by_name.values():
        kids[parent_of(p)].append(p)
    for siblings in kids.values():
        siblings.sort(key=lambda p: (p.created, p.name))

    out: list[SnapshotInfo] = []
    seen: set[str] = set()

    def walk(root: ParsedSnapshot) -> None:
        stack = [(root, 0)]
        while stack:
            p, depth = stack.pop()
            if p.name in seen:
                continue
            seen.add(p.name)
            children = kids.get(p.name, [])
            out.append(
                SnapshotInfo(
                    name=p.name,
                    parent=None if depth == 0 else parent_of(p),
                    children=tuple(c.name for c in children),
                    is_current=p.name == current,
                    created=p.created,
                    state=p.state,
                    description=p.description,
                    has_memory=p.has_memory,
                    depth=depth,
                )
            )
            stack.extend((c, depth + 1) for c in reversed(children))

    for root in kids.get(None, []):
        walk(root)
    # Only a parent loop (never written by libvirt) leaves some unseen: show them as roots.
    for p in sorted(by_name.values(), key=lambda p: (p.created, p.name)):
        if p.name not in seen:
            walk(p)
    return out


def tree_from_xml(xmls: Iterable[str], current: str | None) -> list[SnapshotInfo]:
    return build_tree((parse_snapshot_xml(x) for x in xmls), current)


def snapshot_tree(
    dom: libvirt.virDomain, *, calls: CallCounter | None = None
) -> list[SnapshotInfo]:
    """All snapshots of `dom` in tree order, in N + 2 libvirt calls (1 when there are none)."""
    _record(calls, "listAllSnapshots")
    snaps = dom.listAllSnapshots(0)
    if not snaps:
        return []
    xmls: list[str] = []
    for snap in snaps:
        _record(calls, "snapshotGetXMLDesc")
        try:
            xmls.append(snap.getXMLDesc(0))
        except libvirt.libvirtError as exc:
            # Deleted between the listing and now: the tree simply no longer has it.
            if exc.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN_SNAPSHOT:
                raise
    _record(calls, "snapshotCurrent")
    try:
        current: str | None = dom.snapshotCurrent(0).getName()
    except libvirt.libvirtError as exc:
        if exc.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN_SNAPSHOT:
            raise
        current = None
    return tree_from_xml(xmls, current)


# ----------------------------------------------------------------------- changing


def _description_problem(description: str) -> str | None:
    for ch in description:
        if ch not in "\t\n" and unicodedata.category(ch) in ("Cc", "Cs"):
            return "a description can hold tabs and newlines but no other control characters"
    return None


def snapshot_xml(name: str, description: str, *, with_memory: bool) -> str:
    root = ET.Element("domainsnapshot")
    ET.SubElement(root, "name").text = name
    if description:
        ET.SubElement(root, "description").text = description
    ET.SubElement(root, "memory", snapshot="internal" if with_memory else "no")
    return ET.tostring(root, encoding="unicode")


def create_snapshot(
    dom: libvirt.virDomain,
    name: str,
    description: str = "",
    *,
    with_memory: bool,
    existing: Collection[str] | None = None,
    calls: CallCounter | None = None,
) -> None:
    """Take an internal snapshot (stored inside the VM's qcow2 disks); it becomes current.

    `with_memory` needs a running (or paused) VM, and QEMU cannot take an internal snapshot of
    a running VM without its memory: libvirt refuses both mismatches (see `explain`). A bad or
    taken name raises SnapshotRefused before the create call. Pass `existing` (the names of a
    tree just read) to skip the one call that lists the names.
    """
    problem = name_problem(name) or _description_problem(description)
    if problem is not None:
        raise SnapshotRefused(problem)
    if existing is None:
        _record(calls, "snapshotListNames")
        existing = dom.snapshotListNames(0)
    if name in existing:
        raise SnapshotRefused(f"this VM already has a snapshot named '{name}'")
    _record(calls, "snapshotCreateXML")
    dom.snapshotCreateXML(
        snapshot_xml(name, description, with_memory=with_memory),
        libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC,
    )


def revert_snapshot(dom: libvirt.virDomain, name: str, calls: CallCounter | None = None) -> None:
    """Return the VM to snapshot `name`: disks, and memory and run state if it has them."""
    _record(calls, "snapshotLookupByName")
    snap = dom.snapshotLookupByName(name, 0)
    _record(calls, "revertToSnapshot")
    dom.revertToSnapshot(snap, 0)


def delete_snapshot(
    dom: libvirt.virDomain,
    name: str,
    *,
    with_children: bool,
    calls: CallCounter | None = None,
) -> None:
    """Delete snapshot `name`; without `with_children` its children move up to its parent."""
    _record(calls, "snapshotLookupByName")
    snap = dom.snapshotLookupByName(name, 0)
    _record(calls, "snapshotDelete")
    snap.delete(libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN if with_children else 0)


# ----------------------------------------------------------------------- explaining


class _Rule(NamedTuple):
    code: int | None
    """libvirt error code the rule needs, or None for any."""
    pattern: re.Pattern[str] | None
    """Searched in libvirt's message; its named groups fill `sentence`."""
    sentence: str


def _rule(code: int | None, pattern: str | None, sentence: str) -> _Rule:
    return _Rule(code, re.compile(pattern, re.S) if pattern else None, sentence)


# Messages as libvirt 9.0 with QEMU 7.2 gave them here (see tests/integration/test_snapshots.py).
# Specific message rules first; a bare error code catches translated or reworded messages.
_RULES = (
    _rule(
        None,
        r"internal snapshot for disk (?P<disk>\S+) unsupported for storage type (?P<fmt>\S+)",
        "internal snapshots of a disk in {fmt} format are not supported: disk {disk} cannot "
        "hold them (convert the disk to qcow2)",
    ),
    _rule(
        None,
        r"nothing selected for snapshot",
        "this VM has no disk to snapshot: internal snapshots are stored inside its qcow2 disks",
    ),
    _rule(
        None,
        r"require all disks to be selected for snapshot",
        "this VM has no disk that can hold an internal snapshot: they are stored inside qcow2 "
        "disks, memory included",
    ),
    _rule(
        None,
        r"(?:moment|snapshot) (?P<name>.+) already exists",
        "this VM already has a snapshot named '{name}'",
    ),
    _rule(
        None,
        r"memory state cannot be saved with offline",
        "the VM is not running, so there is no memory to save: take the snapshot without memory",
    ),
    _rule(
        None,
        r"internal snapshot of a running VM must include the memory state",
        "a snapshot of a running VM must include its memory: take it with memory, or shut the "
        "VM down first",
    ),
    _rule(
        None,
        r"pflash based firmware",
        "this VM boots UEFI firmware from pflash, and QEMU cannot take an internal snapshot of "
        "it while it runs: shut it down first (a disk-only snapshot works)",
    ),
    _rule(
        None,
        r"unable to save metadata for snapshot",
        f"libvirt could not record the snapshot (a name longer than {MAX_NAME_BYTES} bytes does "
        "this); the disk may keep a snapshot libvirt does not list (qemu-img snapshot -l)",
    ),
    _rule(
        None,
        r"Could not open '(?P<path>[^']+)': Failed to get \"write\" lock",
        "the disk image {path} is in use by another process (another VM using the same disk?)",
    ),
    _rule(
        None,
        r"Could not open '(?P<path>[^']+)': (?:Could not open '[^']+': )?(?P<why>[^\n]+)",
        "the disk image {path} could not be opened: {why}",
    ),
    _rule(
        None,
        r"revert to external snapshot not supported",
        "this libvirt cannot revert to an external snapshot",
    ),
    _rule(
        None,
        r"deleting external snapshot that has internal snapshot as parent",
        "this libvirt cannot delete an external snapshot whose parent is an internal one",
    ),
    _rule(
        libvirt.VIR_ERR_NO_DOMAIN_SNAPSHOT,
        r"does not have a current snapshot",
        "this VM has no current snapshot",
    ),
    _rule(
        libvirt.VIR_ERR_NO_DOMAIN_SNAPSHOT,
        r"matching name '(?P<name>.*)'",
        "this VM has no snapshot named '{name}' (it may have just been deleted)",
    ),
    _rule(
        libvirt.VIR_ERR_NO_DOMAIN_SNAPSHOT,
        None,
        "that snapshot no longer exists on this VM",
    ),
    _rule(libvirt.VIR_ERR_NO_DOMAIN, None, "the VM no longer exists on this host"),
    _rule(
        libvirt.VIR_ERR_OPERATION_DENIED,
        r"read only access",
        "the connection to this host is read-only: snapshots can be listed but not changed",
    ),
)


def explain(exc: BaseException) -> str:
    """A snapshot failure as one sentence an operator can act on."""
    if isinstance(exc, SnapshotRefused):
        return str(exc)
    if not isinstance(exc, libvirt.libvirtError):
        return describe_error(exc)
    code = exc.get_error_code()
    message = exc.get_error_message() or str(exc)
    for rule in _RULES:
        if rule.code is not None and rule.code != code:
            continue
        if rule.pattern is None:
            return rule.sentence
        found = rule.pattern.search(message)
        if found:
            return rule.sentence.format(**found.groupdict())
    return describe_error(exc)
