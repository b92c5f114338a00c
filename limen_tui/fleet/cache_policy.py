"""Which cached kinds of data an event or an action makes stale (the cache forgets them)."""

from __future__ import annotations

# Which cached kinds an event or an action makes stale. None means every kind of that VM.
EVENT_INVALIDATES: dict[tuple[str, str], tuple[str, ...] | None] = {
    ("lifecycle", "defined"): None,
    ("lifecycle", "undefined"): None,
    ("device", "device added"): ("domain_xml", "domain_details"),
    ("device", "device removed"): ("domain_xml", "domain_details"),
    ("tray", "tray opened"): ("domain_xml", "domain_details"),
    ("tray", "tray closed"): ("domain_xml", "domain_details"),
    ("metadata", "metadata changed"): ("domain_xml", "domain_details"),
    ("job", "job completed"): ("domain_details",),
    ("agent", "agent connected"): ("domain_details", "addresses"),
    ("agent", "agent disconnected"): ("domain_details", "addresses"),
}
LIFECYCLE_INVALIDATES = ("domain_xml", "domain_details")
"""Any other lifecycle event: the live XML changes (ports, paths) as the VM starts and stops."""
SNAPSHOT_KINDS = ("snapshots", "domain_xml", "domain_details")


def invalidated_by_event(kind: str, event: str, reason: str) -> tuple[str, ...] | None:
    """Cached kinds a libvirt event makes stale for its VM (None: all of them); () for none."""
    if (kind, event) in EVENT_INVALIDATES:
        return EVENT_INVALIDATES[(kind, event)]
    if kind == "lifecycle":
        return SNAPSHOT_KINDS if reason == "from snapshot" else LIFECYCLE_INVALIDATES
    return ()


def invalidated_by_action(action: str) -> tuple[str, ...] | None:
    """Cached kinds an action of ours makes stale for its VM (None: all of them)."""
    if action in ("delete", "rename"):
        return None
    if action.startswith("snapshot_"):
        return SNAPSHOT_KINDS
    return ("domain_xml", "domain_details")
