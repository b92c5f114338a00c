"""Which VM uses what: the disks' sources and the NICs' MACs read from every domain's XML.

One listAllDomains and one XMLDesc per domain: read when a volumes or networks screen opens
(or before a volume is deleted), never per tick.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import libvirt

from limen_tui.virt.calls import CallCounter


@dataclass(slots=True)
class DomainUses:
    by_path: dict[str, list[str]] = field(default_factory=dict)
    """Disk source path -> VM names."""
    by_volume: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    """(pool, volume) of `<source pool= volume=>` disks -> VM names."""
    by_mac: dict[str, str] = field(default_factory=dict)
    """NIC MAC (lower case) -> VM name."""

    def users(self, pool: str, name: str, path: str) -> tuple[str, ...]:
        found = self.by_path.get(path, []) + self.by_volume.get((pool, name), [])
        return tuple(sorted(set(found)))


def domain_uses(conn: libvirt.virConnect, calls: CallCounter) -> DomainUses:
    uses = DomainUses()
    calls.record("listAllDomains")
    for dom in conn.listAllDomains(0):
        calls.record("XMLDesc")
        try:
            root = ET.fromstring(dom.XMLDesc(0))
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                continue  # went away while we read
            raise
        name = root.findtext("name") or dom.name()
        for source in root.iterfind("devices/disk/source"):
            path = source.get("file") or source.get("dev") or source.get("name")
            if path:
                uses.by_path.setdefault(path, []).append(name)
            if source.get("pool") and source.get("volume"):
                key = (source.get("pool", ""), source.get("volume", ""))
                uses.by_volume.setdefault(key, []).append(name)
        for mac in root.iterfind("devices/interface/mac"):
            address = mac.get("address")
            if address:
                uses.by_mac[address.lower()] = name
    return uses
