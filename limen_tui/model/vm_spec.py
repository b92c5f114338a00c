"""What the create form asks for, and the checks that need no host. Pure."""

from __future__ import annotations

import math
from dataclasses import dataclass

NIC_USER = "user"
"""``VmSpec.network`` value for QEMU's user-mode (SLIRP) networking."""
NIC_ETHERNET = "ethernet"
"""``VmSpec.network`` value for a bare tap device with no bridge behind it."""

DISK_FORMATS = {"qcow2": "qcow2", "raw": "img"}
"""Volume formats offered, with the file extension each volume gets."""

MAX_NAME_CHARS = 64
"""Our limit, for tables and hostnames. libvirt's own is the file name of the
config, ``/etc/libvirt/qemu/<name>.xml.new``: 247 bytes (255 - 8)."""
MAX_NAME_BYTES = 240
"""Keeps ``<name>.qcow2`` and ``<name>.xml.new`` under the 255-byte file name limit."""

GIB = 1024**3
MIB = 1024**2


@dataclass(frozen=True)
class VmSpec:
    """What the create form asks for.

    ``network`` is the name of a libvirt network, or :data:`NIC_USER` /
    :data:`NIC_ETHERNET` for those interface types (so a libvirt network named
    ``user`` or ``ethernet`` cannot be chosen), or ``None`` for no NIC.
    ``boot_iso`` is the path of a storage volume (the ISO must be in a pool).
    """

    name: str
    vcpus: int
    memory_mib: int
    disk_gib: float
    pool: str
    network: str | None = None
    boot_iso: str | None = None
    serial_console: bool = True
    disk_format: str = "qcow2"

    @property
    def volume_name(self) -> str:
        return f"{self.name}.{DISK_FORMATS.get(self.disk_format, self.disk_format)}"

    @property
    def disk_bytes(self) -> int:
        """The disk size rounded up to whole MiB."""
        return math.ceil(self.disk_gib * 1024) * MIB


def check_name(name: str, label: str = "Name") -> list[str]:
    """The rules for a new VM name, as sentences starting with ``label``."""
    if not name.strip():
        return [f"{label}: a VM needs a name."]
    errors = []
    if len(name) > MAX_NAME_CHARS:
        errors.append(f"{label}: at most {MAX_NAME_CHARS} characters ({len(name)} given).")
    elif len(name.encode()) > MAX_NAME_BYTES:
        errors.append(f"{label}: at most {MAX_NAME_BYTES} bytes in UTF-8; use simpler letters.")
    if "/" in name:
        errors.append(f"{label}: may not contain '/'.")
    if not all(ch.isprintable() for ch in name):
        errors.append(f"{label}: may not contain control or invisible characters.")
    if name != name.strip(" "):
        errors.append(f"{label}: may not start or end with a space.")
    return errors
