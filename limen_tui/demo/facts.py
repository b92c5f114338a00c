"""Sizes, states and names the demo generator shares (libvirt test driver facts)."""

from __future__ import annotations

import random
import uuid
from typing import Final
from xml.sax.saxutils import escape

TEST_NS: Final = "http://libvirt.org/schemas/domain/test/1.0"
RUNNING: Final = 1
PAUSED: Final = 3
SHUTOFF: Final = 5

KIB_PER_MIB: Final = 1024
GIB: Final = 1024**3
MIB: Final = 1024**2
# The test driver pins every pool's capacity at 100 GiB; stay well inside it.
POOL_CAPACITY: Final = 100 * GIB
POOL_BUDGET: Final = 72 * GIB

DISK_DIR: Final = "/srv/vm-disks"
HOSTILE_MARKUP: Final = "lab-[bold]not-markup[reverse]"
HOSTILE_UNICODE: Final = "ürün-db-ünicode-测试"


def new_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def attr(text: str) -> str:
    """A single-quoted XML attribute value."""
    return "'" + escape(text, {"'": "&apos;"}) + "'"
