"""What each storage and network action of the registry does in libvirt, by id."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from limen_tui.virt import networks, storage
from limen_tui.virt.changes import ResourceChange

CHANGES: Mapping[str, Callable[[Any], ResourceChange]] = {
    "pool_start": storage.pool_start,
    "pool_stop": storage.pool_stop,
    "pool_refresh": storage.pool_refresh,
    "pool_autostart": storage.pool_autostart,
    "pool_define": storage.pool_define,
    "volume_create": storage.volume_create,
    "volume_resize": storage.volume_resize,
    "volume_clone": storage.volume_clone,
    "volume_wipe": storage.volume_wipe,
    "volume_delete": storage.volume_delete,
    "network_start": networks.network_start,
    "network_stop": networks.network_stop,
    "network_autostart": networks.network_autostart,
    "dhcp_pin": networks.dhcp_pin,
    "dhcp_unpin": networks.dhcp_unpin,
}
"""Registry id -> the change it makes, from its typed parameters."""
