"""The device and XML actions by registry id: each returns the DeviceChange it asked of libvirt,
naming the event that will confirm it (fleet/runner.py waits for that event)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import libvirt

from limen_tui.model.action_params import ActionParams
from limen_tui.model.device_change import DeviceChange
from limen_tui.model.device_params import (
    AttachDisk,
    AttachNic,
    ChangeMedia,
    DetachDisk,
    DetachNic,
    EditXml,
    SetBootOrder,
)
from limen_tui.model.tags import SetTags
from limen_tui.virt import devices
from limen_tui.virt.tags import set_tags
from limen_tui.virt.xml_define import define_edit

P = TypeVar("P")

ChangeRun = Callable[[libvirt.virDomain, ActionParams], DeviceChange]


def _typed(kind: type[P], fn: Callable[[libvirt.virDomain, P], DeviceChange]) -> ChangeRun:
    def run(dom: libvirt.virDomain, params: ActionParams) -> DeviceChange:
        if not isinstance(params, kind):
            raise devices.DeviceRefused(f"this action needs {kind.__name__} parameters")
        return fn(dom, params)

    return run


CHANGE: dict[str, ChangeRun] = {
    "attach_disk": _typed(AttachDisk, devices.attach_disk),
    "detach_disk": _typed(DetachDisk, devices.detach_disk),
    "attach_nic": _typed(AttachNic, devices.attach_nic),
    "detach_nic": _typed(DetachNic, devices.detach_nic),
    "change_media": _typed(ChangeMedia, devices.change_media),
    "set_boot_order": _typed(SetBootOrder, devices.set_boot_order),
    "edit_xml": _typed(EditXml, define_edit),
    "set_tags": _typed(SetTags, set_tags),
}
