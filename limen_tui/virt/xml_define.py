"""Reading a domain's XML for an edit, and defining the edit: validated by libvirt
(VIR_DOMAIN_DEFINE_VALIDATE) before it replaces anything. Blocking: run in workers."""

from __future__ import annotations

import libvirt

from limen_tui.model.device_change import DeviceChange
from limen_tui.model.device_params import EditXml
from limen_tui.model.xml_edit import edit_problem, sha256, unchanged
from limen_tui.virt.devices import DEFINED, NEXT_BOOT, DeviceRefused

FOR_EDIT = libvirt.VIR_DOMAIN_XML_INACTIVE | libvirt.VIR_DOMAIN_XML_SECURE
"""What `virsh edit` edits: the persistent definition, secrets included."""
MIGRATABLE = libvirt.VIR_DOMAIN_XML_MIGRATABLE


def xml_for_edit(dom: libvirt.virDomain) -> str:
    """The persistent XML with its secrets; without them on a read-only connection (nothing
    can be defined there anyway)."""
    try:
        return str(dom.XMLDesc(FOR_EDIT))
    except libvirt.libvirtError as exc:
        if exc.get_error_code() != libvirt.VIR_ERR_OPERATION_DENIED:
            raise
        return str(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))


def live_and_config(dom: libvirt.virDomain) -> tuple[str | None, str]:
    """(the running VM's XML, or None when it is off; its persistent config), both without
    runtime state."""
    config = str(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE | MIGRATABLE))
    return (str(dom.XMLDesc(MIGRATABLE)) if dom.isActive() else None), config


def define_edit(dom: libvirt.virDomain, p: EditXml) -> DeviceChange:
    current = xml_for_edit(dom)
    if sha256(current) != p.base_sha256:
        raise DeviceRefused(
            "the VM's definition changed since the edit began; nothing was changed: "
            "open the XML again and redo the edit"
        )
    problem = edit_problem(current, p.xml)
    if problem:
        raise DeviceRefused(problem)
    if unchanged(current, p.xml):
        return DeviceChange("no change", None)
    dom.connect().defineXMLFlags(p.xml, libvirt.VIR_DOMAIN_DEFINE_VALIDATE)
    running = bool(dom.isActive())
    return DeviceChange("new definition saved" + (f"; {NEXT_BOOT}" if running else ""), DEFINED)
