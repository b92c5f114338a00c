"""Asking a VM's guest agent about the guest (`virsh guestinfo`), in one call.

Blocking: one `guestInfo` call, bounded by libvirt's agent timeout (5 s by default) and the
host's call timeout; run it in a worker, for the VM on screen only.
"""

from __future__ import annotations

import libvirt

from limen_tui.model.guest_info import GuestInfo, parse_guest_info
from limen_tui.virt.calls import CallCounter

GUEST_INFO_TYPES = (
    libvirt.VIR_DOMAIN_GUEST_INFO_USERS
    | libvirt.VIR_DOMAIN_GUEST_INFO_OS
    | libvirt.VIR_DOMAIN_GUEST_INFO_TIMEZONE
    | libvirt.VIR_DOMAIN_GUEST_INFO_HOSTNAME
    | libvirt.VIR_DOMAIN_GUEST_INFO_FILESYSTEM
)

NOT_ANSWERING = "guest agent not answering"


def why_no_agent(exc: libvirt.libvirtError) -> str:
    code = exc.get_error_code()
    message = exc.get_error_message() or str(exc)
    if code == libvirt.VIR_ERR_OPERATION_INVALID and "not running" in message:
        return "the VM is not running"
    if code == libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED or "not configured" in message:
        return "no guest agent channel in its definition"
    if code in (libvirt.VIR_ERR_AGENT_UNRESPONSIVE, libvirt.VIR_ERR_AGENT_UNSYNCED):
        return f"{NOT_ANSWERING} (is qemu-guest-agent running in the guest?)"
    if code == libvirt.VIR_ERR_NO_SUPPORT:
        return "this hypervisor cannot ask a guest agent"
    return f"{NOT_ANSWERING}: {message}"


def read_guest_info(dom: libvirt.virDomain, calls: CallCounter) -> GuestInfo:
    calls.record("guestInfo")
    try:
        info = dom.guestInfo(GUEST_INFO_TYPES, 0)
    except libvirt.libvirtError as exc:
        return GuestInfo(answered=False, reason=why_no_agent(exc))
    return parse_guest_info(info or {})
