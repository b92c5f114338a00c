"""What the device dialog and the XML screen read from a host, each one call in its workers.

Functions of a `Host` (its reads live in host_reads.py; these belong to the device and XML
screens only). Never cached: the operator is about to change what they show.
"""

from __future__ import annotations

from dataclasses import dataclass

import libvirt

from limen_tui.fleet.host_reads import HostReads
from limen_tui.model.device_list import DeviceList, parse_device_list
from limen_tui.virt.xml_define import live_and_config, xml_for_edit


@dataclass(frozen=True, slots=True)
class VmDevices:
    now: DeviceList
    """What the VM has now (the live XML when it runs)."""
    config: DeviceList
    """Its persistent config (what it boots with next time)."""
    running: bool


async def vm_devices(host: HostReads, uuid: str) -> VmDevices:
    calls = host.calls

    def read(dom: libvirt.virDomain) -> VmDevices:
        calls.record("XMLDesc")
        running = bool(dom.isActive())
        config = parse_device_list(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
        return VmDevices(parse_device_list(dom.XMLDesc(0)) if running else config, config, running)

    return await host.on_domain(uuid, read)


async def edit_base(host: HostReads, uuid: str) -> str:
    """The persistent XML an edit starts from (as `virsh edit` reads it)."""
    host.calls.record("XMLDesc")
    return await host.on_domain(uuid, xml_for_edit)


async def live_config(host: HostReads, uuid: str) -> tuple[str | None, str]:
    """(the running VM's XML or None, its persistent config), for "applies at next boot"."""
    host.calls.record("XMLDesc")
    return await host.on_domain(uuid, live_and_config)
