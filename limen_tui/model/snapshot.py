"""A VM snapshot as the console shows it, and the name rules libvirt enforces. Pure."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

MAX_NAME_BYTES = 247
"""Longest name libvirt can store: it keeps `<name>.xml` (written via a temporary file) in a
directory, and a longer name fails *after* QEMU wrote the snapshot into the qcow2 file, leaving
a snapshot there that libvirt does not list."""


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    name: str
    parent: str | None
    """None for a root (or when the parent vanished while the tree was read)."""
    children: tuple[str, ...]
    """Direct children, oldest first."""
    is_current: bool
    created: float
    """Seconds since the epoch; libvirt keeps whole seconds."""
    state: str
    """The VM's state when the snapshot was taken: running, paused, shutoff, disk-snapshot..."""
    description: str
    has_memory: bool
    depth: int
    """0 for a root; for indenting a tree view."""


def name_problem(name: str) -> str | None:
    """Why libvirt would refuse (or mishandle) `name`, as a sentence; None if it is fine."""
    if not name.strip():
        return "a snapshot needs a name"
    if name != name.strip():
        return "a snapshot name cannot start or end with a space"
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        return "a snapshot name cannot contain control or invisible characters (tabs, newlines)"
    if "/" in name:
        return "a snapshot name cannot contain '/'"
    if name.startswith("."):
        return "a snapshot name cannot start with '.'"
    size = len(name.encode("utf-8"))
    if size > MAX_NAME_BYTES:
        return f"a snapshot name can be at most {MAX_NAME_BYTES} bytes long (this one is {size})"
    return None
