"""Errors the fleet raises to its consumer, and one way to put any failure in plain words."""

from __future__ import annotations

from limen_tui.virt.connection import describe_error


class HostUnavailable(Exception):
    """A call could not be made because the host is not live."""


class SerialConsoleInUse(Exception):
    """Another client (virsh console?) holds the VM's serial console; a take-over may force it."""


def explain(exc: BaseException) -> str:
    """A failure as one sentence for the operator: libvirt's own words where it has them."""
    if isinstance(exc, TimeoutError):
        return str(exc) or "no answer in time"
    return describe_error(exc)
