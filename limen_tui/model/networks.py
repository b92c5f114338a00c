"""Virtual networks, their DHCP leases and static DHCP hosts, as the networks screen shows them.
Pure data and the checks of what the operator types (a MAC, an address). No libvirt."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class DhcpHost:
    """A static DHCP host entry: this MAC always gets this address."""

    mac: str
    ip: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Network:
    name: str
    active: bool
    autostart: bool
    persistent: bool
    bridge: str
    forward: str
    """The forward mode (nat, route, open, bridge, ...); "isolated" when there is none."""
    dhcp_ranges: tuple[str, ...] = field(default_factory=tuple)
    """`start-end` per DHCP range."""
    hosts: tuple[DhcpHost, ...] = field(default_factory=tuple)
    """Static DHCP host entries of the live config (the persistent one when inactive)."""


@dataclass(frozen=True, slots=True)
class Lease:
    mac: str
    ip: str
    prefix: int
    hostname: str
    expiry: int
    """Seconds since the epoch; 0 when the lease never ends."""
    vm: str = ""
    """The VM whose NIC has this MAC, or "" when none on this host has it."""


_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


def mac_problem(mac: str) -> str | None:
    if not _MAC.match(mac.lower()):
        return f"{mac!r} is not a MAC address (six pairs of hex digits, 52:54:00:12:34:56)"
    return None


def ip_problem(ip: str, ranges: tuple[str, ...] = ()) -> str | None:
    """Why `ip` cannot be pinned, or None. `ranges` only checks that it is an IPv4 address."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return f"{ip!r} is not an IP address"
    if address.version != 4:
        return "only IPv4 addresses can be pinned here"
    return None
