"""Storage pools and volumes as the pools screen shows them, and the checks of what the operator
types (a volume's name, a size) before anything is sent. Pure data, no libvirt."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from limen_tui.model import human_bytes

VolumeFormat = Literal["qcow2", "raw"]
VOLUME_FORMATS: tuple[VolumeFormat, ...] = ("qcow2", "raw")


@dataclass(frozen=True, slots=True)
class Pool:
    name: str
    state: str
    """As virsh says it: running, inactive, building, degraded, inaccessible."""
    capacity: int
    allocation: int
    available: int
    autostart: bool
    persistent: bool = True
    kind: str = ""
    """The pool's type (dir, logical, ...)."""
    path: str = ""
    """Its target path (where its volumes live)."""

    @property
    def active(self) -> bool:
        return self.state == "running"


@dataclass(frozen=True, slots=True)
class Volume:
    name: str
    path: str
    format: str
    capacity: int
    allocation: int
    used_by: tuple[str, ...] = field(default_factory=tuple)
    """Names of the VMs whose disks use this volume; empty: unused (an orphan)."""


_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
MAX_SIZE = 1024**5
"""1 PiB: anything above is a typo."""


def parse_size(text: str) -> int:
    """Bytes from `10G`, `512M`, `1.5GiB`, `4096` (bytes); ValueError in words otherwise."""
    m = _SIZE.match(text)
    if not m:
        raise ValueError(
            f"{text.strip() or 'an empty size'!r} is not a size; write a number with K, M, G "
            "or T (powers of 1024), e.g. 10G or 512M"
        )
    number, unit = float(m.group(1)), m.group(2).lower()
    size = int(number * _UNITS[unit])
    if size <= 0:
        raise ValueError("a size must be more than 0")
    if size > MAX_SIZE:
        raise ValueError(f"{text.strip()} is more than 1 PiB; check the unit")
    return size


_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")


def name_problem(name: str, what: str = "volume") -> str | None:
    """Why `name` cannot be a volume's (or pool's) name, or None."""
    if not name:
        return f"a {what} needs a name"
    if len(name) > 200:
        return f"a {what} name has at most 200 characters"
    if "/" in name:
        return f"a {what} name cannot contain /"
    if not _NAME.match(name):
        return (
            f"{name!r}: a {what} name uses letters, digits and . _ + - "
            "(and does not start with . or -)"
        )
    return None


def path_problem(path: str) -> str | None:
    """Why `path` cannot be a directory pool's target, or None."""
    if not path.startswith("/"):
        return "the directory must be an absolute path (starting with /)"
    if any(c in path for c in "\n\t\x00"):
        return "the directory path contains a control character"
    return None


def human_size(n: int) -> str:
    """Bytes as the operator types them back: 10G, 1.5G, 512M."""
    return human_bytes(n)
