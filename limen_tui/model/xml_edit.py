"""An edit of a domain's XML, checked before libvirt sees it, and shown as a diff.

Pure: what changed (difflib), what the edit may not change (the UUID, the name: those are
other actions), and whether the live VM differs from its persistent config.
"""

from __future__ import annotations

import difflib
import hashlib
import xml.etree.ElementTree as ET

DIFF_CONTEXT = 2


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def xml_diff(before: str, after: str, *, names: tuple[str, str] = ("now", "edited")) -> list[str]:
    """Unified diff lines, without line ends; [] when nothing changed."""
    return [
        line.rstrip("\n")
        for line in difflib.unified_diff(
            before.splitlines(),
            after.splitlines(),
            fromfile=names[0],
            tofile=names[1],
            n=DIFF_CONTEXT,
            lineterm="",
        )
    ]


def unchanged(before: str, after: str) -> bool:
    """Nothing but trailing white space changed."""
    return [ln.rstrip() for ln in before.strip().splitlines()] == [
        ln.rstrip() for ln in after.strip().splitlines()
    ]


def edit_problem(before: str, after: str) -> str | None:
    """Why the edit cannot be defined, in one sentence; None when libvirt may judge it."""
    if not after.strip():
        return "the edited XML is empty; nothing was changed"
    try:
        new = ET.fromstring(after)
    except ET.ParseError as exc:
        return f"the edited XML is not well-formed ({exc}); nothing was changed"
    old = ET.fromstring(before)
    if new.tag != "domain":
        return f"the edited XML is a <{new.tag}>, not a <domain>; nothing was changed"
    if (new.findtext("uuid") or "").strip() != (old.findtext("uuid") or "").strip():
        return "the edit changes the VM's UUID (that would define another VM); nothing was changed"
    if (new.findtext("name") or "").strip() != (old.findtext("name") or "").strip():
        return "the edit changes the VM's name; rename it with the rename action instead"
    return None


RUNTIME_ONLY = ("resource", "backingStore", "seclabel", "alias")
"""Elements the live XML has that are no part of the configuration."""


def _config(xml: str) -> list[str]:
    root = ET.fromstring(xml)
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in RUNTIME_ONLY:
                parent.remove(child)
    root.attrib.pop("id", None)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode").splitlines()


def live_vs_config(live: str, config: str) -> list[str]:
    """What the running VM has that its persistent config does not (and back), as diff lines;
    [] when they agree. Both are libvirt's migratable XML (no runtime state)."""
    return [
        line
        for line in difflib.unified_diff(
            _config(config), _config(live), "next boot", "running now", n=0, lineterm=""
        )
    ]
