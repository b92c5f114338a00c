"""A guest's IP addresses as the console shows them, each marked with where it came from. Pure.

The chain that finds them (agent, DHCP lease, the host's neighbour table) is virt/addresses.py.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

AddressSource = Literal["agent", "lease", "arp"]
"""Where an address came from: the guest agent, a DHCP lease, the host's neighbour table."""


@dataclass(frozen=True, slots=True)
class GuestAddress:
    address: str
    prefix: int | None
    interface: str
    """The guest's name for the NIC (agent), else the host-side device (lease, ARP)."""
    mac: str
    source: AddressSource


@dataclass(frozen=True, slots=True)
class SourceAnswer:
    """What one source of the chain said: its addresses, or in words why it had none."""

    source: AddressSource
    addresses: tuple[GuestAddress, ...] = ()
    failure: str = ""


@dataclass(frozen=True, slots=True)
class GuestAddresses:
    """The answer of the chain: the addresses of the first source that knew any, or why none."""

    addresses: tuple[GuestAddress, ...]
    reason: str = ""
    """Empty when there are addresses."""
    tried: tuple[SourceAnswer, ...] = ()

    @property
    def source(self) -> AddressSource | None:
        return self.addresses[0].source if self.addresses else None


def addresses_to_json(found: GuestAddresses) -> dict[str, Any]:
    return asdict(found)


def addresses_from_json(data: dict[str, Any]) -> GuestAddresses:
    def one(a: dict[str, Any]) -> GuestAddress:
        return GuestAddress(**a)

    return GuestAddresses(
        tuple(one(a) for a in data["addresses"]),
        data.get("reason", ""),
        tuple(
            SourceAnswer(s["source"], tuple(one(a) for a in s["addresses"]), s["failure"])
            for s in data.get("tried", ())
        ),
    )
