"""The device dialog, the attach form, the domain XML screen and the XML diff confirmation, from
the demo's tick with fixed devices (nothing is read from a host): the snapshot tests
(test_device_pictures.py) and scripts/screenshots.py draw the same scenes."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from limen_tui.fleet.device_reads import VmDevices
from limen_tui.model.device_list import parse_device_list
from limen_tui.model.xml_edit import live_vs_config, xml_diff
from limen_tui.ui.screens.device_forms import AttachDiskForm
from limen_tui.ui.screens.devices import DeviceScreen
from limen_tui.ui.screens.domain_xml import XmlDiffScreen, XmlScreen

from .scenes import Scene, SceneHost, _app, _row, loaded

XML = """<domain type='kvm'>
  <name>web-02</name>
  <os><type>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/srv/vm-disks/web-02-root.qcow2'/>
      <target dev='vda' bus='virtio'/>
      <boot order='1'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='/srv/iso/[bold]debian-12.iso'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:2a:52:fe'/>
      <source network='default'/>
      <model type='virtio'/>
      <boot order='2'/>
    </interface>
  </devices>
</domain>"""
EDITED = XML.replace("<boot order='1'/>", "<boot order='2'/>").replace(
    "      <boot order='2'/>\n    </interface>", "      <boot order='1'/>\n    </interface>"
)


class FixedDeviceScreen(DeviceScreen):
    def action_reload(self) -> None:
        devices = parse_device_list(XML)
        self.show(VmDevices(devices, devices, running=True))


async def device_dialog(pilot: Pilot[Any]) -> None:
    await loaded(pilot)
    app = _app(pilot)
    row = _row(app, "web-02")

    async def run(_action: str, _params: Any) -> Any:
        raise AssertionError("a picture changes nothing")

    app.push_screen(FixedDeviceScreen(row, SceneHost.make(), run))
    await pilot.pause(0.3)


class FixedXmlScreen(XmlScreen):
    def action_reload(self) -> None:
        self.base = EDITED
        self.differs = live_vs_config(XML, EDITED)
        self.show()


async def nothing(_action: str, _params: Any) -> Any:
    raise AssertionError("a picture changes nothing")


async def domain_xml_searched(pilot: Pilot[Any]) -> None:
    await loaded(pilot)
    app = _app(pilot)
    app.push_screen(FixedXmlScreen(_row(app, "web-02"), SceneHost.make(), nothing))
    await pilot.pause(0.2)
    await pilot.press("slash", *"boot")
    await pilot.pause(0.2)


async def attach_disk_form(pilot: Pilot[Any]) -> None:
    await loaded(pilot)
    app = _app(pilot)
    app.push_screen(AttachDiskForm(_row(app, "web-02"), parse_device_list(XML), ["default"]))
    await pilot.pause(0.2)
    await pilot.press(*"web-02-data.raw", "enter")  # not an absolute path: the form says so
    await pilot.pause(0.2)


async def xml_diff_confirmation(pilot: Pilot[Any]) -> None:
    await loaded(pilot)
    app = _app(pilot)
    app.push_screen(XmlDiffScreen(_row(app, "web-02"), xml_diff(XML, EDITED)))
    await pilot.pause(0.3)


DEVICE_SCENES: dict[str, Scene] = {
    "devices": device_dialog,
    "attach-disk": attach_disk_form,
    "domain-xml": domain_xml_searched,
    "xml-diff": xml_diff_confirmation,
}
"""Name -> how to get there (screenshots/<name>-120x40.svg)."""
