"""Tags in the domain's libvirt metadata, under limen-tui's own namespace.

`<limen:tags xmlns:limen="https://limen-tui.example/tags"><tag>web</tag></limen:tags>` as
a child of `<metadata>`: libvirt keeps one element per namespace, so setting ours never
touches another tool's. The table reads tags (and libosinfo's OS id) from the domain XML
once per VM, and again only when libvirt says that VM's metadata changed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

import libvirt

from limen_tui.model.device_change import DeviceChange, Expect
from limen_tui.model.tags import MAX_TAGS, TAG, SetTags

NAMESPACE = "https://limen-tui.example/tags"
PREFIX = "limen"
LIBOSINFO = "http://libosinfo.org/xmlns/libvirt/domain/1.0"


def tags_element(tags: tuple[str, ...]) -> str:
    inner = "".join(f"<tag>{escape(t)}</tag>" for t in tags)
    return f"<tags>{inner}</tags>"


def labels_from_xml(xml: str) -> tuple[tuple[str, ...], str | None]:
    """(tags, OS) from a domain's XML: our namespace's tags, libosinfo's short OS name."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return (), None
    meta = root.find("metadata")
    if meta is None:
        return (), None
    tags: list[str] = []
    found = meta.find(f"{{{NAMESPACE}}}tags")
    if found is not None:
        for el in found.findall("tag") + found.findall(f"{{{NAMESPACE}}}tag"):
            text = (el.text or "").strip()
            if TAG.fullmatch(text) and text not in tags:
                tags.append(text)
    os_id = None
    osinfo = meta.find(f"{{{LIBOSINFO}}}libosinfo/{{{LIBOSINFO}}}os")
    if osinfo is not None and osinfo.get("id"):
        # http://debian.org/debian/12 -> debian12
        parts = str(osinfo.get("id")).rstrip("/").split("/")
        os_id = "".join(parts[-2:]) if len(parts) >= 2 else parts[-1]
    return tuple(tags[:MAX_TAGS]), os_id


def read_tags(dom: libvirt.virDomain) -> tuple[str, ...]:
    return labels_from_xml(str(dom.XMLDesc(0)))[0]


def set_tags(dom: libvirt.virDomain, edit: SetTags) -> DeviceChange:
    """Write the VM's tags (live and persistent where it has both); libvirt's metadata-change
    event for our namespace confirms it."""
    now = read_tags(dom)
    tags = edit.applied_to(now)
    name = dom.name()
    if tags == now:
        return DeviceChange(f"{name} already has tags {' '.join(now) or '(none)'}", None)
    flags = 0
    if dom.isActive():
        flags |= libvirt.VIR_DOMAIN_AFFECT_LIVE
    if dom.isPersistent():
        flags |= libvirt.VIR_DOMAIN_AFFECT_CONFIG
    kind = libvirt.VIR_DOMAIN_METADATA_ELEMENT
    if tags:
        dom.setMetadata(kind, tags_element(tags), PREFIX, NAMESPACE, flags)
    else:
        dom.setMetadata(kind, None, None, NAMESPACE, flags)
    return DeviceChange(
        f"{name}: tags {' '.join(tags) or '(none)'}",
        Expect("metadata", "metadata changed", NAMESPACE),
        unconfirmed="the table shows the tags once libvirt reports the change",
    )
