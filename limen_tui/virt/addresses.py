"""A guest's IP addresses from a chain of sources, each address marked with where it came from.

The chain is the one an operator walks by hand: ask the guest agent (what the guest itself
says), then the DHCP leases of libvirt's networks, then the hypervisor host's ARP/neighbour
table (an address seen talking from the NIC's MAC). The first source that knows any address
answers; when none does, the reason is given in words, one phrase per source, so the operator
sees what was tried ("no agent, no lease, no ARP entry: is the guest up?").

libvirt's own ARP source failed on libvirt 9.0 here ("internal error: wrong nlmsg len" while
dumping the neighbour table), so the caller can hand in the host's neighbour table itself
(`parse_proc_net_arp` of the host's /proc/net/arp, read locally or over the host's SSH link);
it is matched against the MACs in the domain's definition.

Blocking: `guest_addresses` makes up to five libvirt calls; run it in a worker, for the rows
on screen only, and cache the answer briefly. Everything else here is pure.
"""

from __future__ import annotations

import ipaddress
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import libvirt

from limen_tui.model.addresses import AddressSource, GuestAddress, GuestAddresses, SourceAnswer
from limen_tui.virt.calls import CallCounter

CHAIN: tuple[tuple[AddressSource, int], ...] = (
    ("agent", libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT),
    ("lease", libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE),
    ("arp", libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP),
)

_MISSING = {"agent": "no agent", "lease": "no lease", "arp": "no ARP entry"}


def _shown(address: str) -> bool:
    """Loopback and IPv6 link-local addresses say nothing about how to reach the guest."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return not (ip.is_loopback or (ip.version == 6 and ip.is_link_local))


def from_interfaces(
    source: AddressSource, interfaces: Mapping[str, Mapping[str, Any]]
) -> tuple[GuestAddress, ...]:
    """libvirt's `interfaceAddresses` answer as marked addresses, loopback left out."""
    found: list[GuestAddress] = []
    for name, iface in interfaces.items():
        mac = str(iface.get("hwaddr") or "")
        if name == "lo" or mac == "00:00:00:00:00:00":
            continue
        for addr in iface.get("addrs") or ():
            address = str(addr.get("addr", ""))
            if not _shown(address):
                continue
            prefix = addr.get("prefix")
            found.append(
                GuestAddress(
                    address=address,
                    prefix=prefix if isinstance(prefix, int) else None,
                    interface=name,
                    mac=mac,
                    source=source,
                )
            )
    return tuple(found)


Neighbours = Mapping[str, Sequence[str]]
"""The host's neighbour table: MAC address (lower case) -> IP addresses seen from it."""


def parse_proc_net_arp(text: str) -> dict[str, list[str]]:
    """/proc/net/arp into {mac: [ip, ...]}; incomplete entries (flags 0x0) left out."""
    table: dict[str, list[str]] = {}
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 6 or fields[2] == "0x0" or fields[3] == "00:00:00:00:00:00":
            continue
        table.setdefault(fields[3].lower(), []).append(fields[0])
    return table


def read_local_neighbours() -> dict[str, list[str]]:
    """This machine's neighbour table, for a hypervisor reached on this machine."""
    with open("/proc/net/arp", encoding="ascii") as f:
        return parse_proc_net_arp(f.read())


def interface_macs(domain_xml: str) -> dict[str, str]:
    """The MAC of every NIC in a domain definition -> its host-side device (or "")."""
    macs: dict[str, str] = {}
    for iface in ET.fromstring(domain_xml).findall("./devices/interface"):
        mac = iface.find("mac")
        target = iface.find("target")
        if mac is not None and mac.get("address"):
            dev = target.get("dev", "") if target is not None else ""
            macs[str(mac.get("address")).lower()] = dev
    return macs


def from_neighbours(macs: Mapping[str, str], table: Neighbours) -> tuple[GuestAddress, ...]:
    """The addresses the host's neighbour table saw from the domain's MACs."""
    return tuple(
        GuestAddress(address=ip, prefix=None, interface=dev, mac=mac, source="arp")
        for mac, dev in macs.items()
        for ip in table.get(mac, ())
        if _shown(ip)
    )


def failure_words(source: AddressSource, exc: libvirt.libvirtError | None) -> str:
    """Why `source` gave nothing, in the words the reason is built from."""
    if exc is None:
        return _MISSING[source]
    if source == "agent":
        code = exc.get_error_code()
        if code == libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED or "not configured" in str(exc):
            return "no agent channel"
        if code in (libvirt.VIR_ERR_AGENT_UNRESPONSIVE, libvirt.VIR_ERR_AGENT_UNSYNCED):
            return "no agent"
    return f"{_MISSING[source]} ({exc.get_error_message() or exc})"


def resolve(answers: Sequence[SourceAnswer], *, running: bool = True) -> GuestAddresses:
    """The first answer with addresses wins; with none, the reason names every source."""
    for answer in answers:
        if answer.addresses:
            return GuestAddresses(addresses=answer.addresses, tried=tuple(answers))
    if not running:
        return GuestAddresses((), reason="the VM is not running", tried=tuple(answers))
    words = ", ".join(a.failure for a in answers) or "nothing to ask"
    return GuestAddresses((), reason=f"{words}: is the guest up?", tried=tuple(answers))


def guest_addresses(
    dom: libvirt.virDomain,
    calls: CallCounter,
    neighbours: Callable[[], Neighbours] | None = None,
) -> GuestAddresses:
    """Walk the chain for one domain, stopping at the first source that knows an address.

    `neighbours` reads the hypervisor host's neighbour table; it is asked only when libvirt's
    own ARP source fails.
    """
    calls.record("isActive (addresses)")
    if not dom.isActive():
        return resolve((), running=False)
    answers: list[SourceAnswer] = []
    for source, flag in CHAIN:
        calls.record(f"interfaceAddresses ({source})")
        try:
            interfaces = dom.interfaceAddresses(flag, 0)
        except libvirt.libvirtError as exc:
            if source == "arp" and neighbours is not None:
                answers.append(_from_host_table(dom, calls, neighbours))
            else:
                answers.append(SourceAnswer(source, failure=failure_words(source, exc)))
            if answers[-1].addresses:
                break
            continue
        found = from_interfaces(source, interfaces or {})
        answers.append(SourceAnswer(source, found, "" if found else failure_words(source, None)))
        if found:
            break
    return resolve(answers)


def _from_host_table(
    dom: libvirt.virDomain, calls: CallCounter, neighbours: Callable[[], Neighbours]
) -> SourceAnswer:
    calls.record("XMLDesc (addresses)")
    try:
        macs = interface_macs(dom.XMLDesc(0))
    except libvirt.libvirtError as exc:
        return SourceAnswer("arp", failure=f"no ARP entry ({exc.get_error_message() or exc})")
    try:
        table = neighbours()
    except OSError as exc:
        return SourceAnswer("arp", failure=f"no ARP entry (neighbour table: {exc})")
    found = from_neighbours(macs, table)
    return SourceAnswer("arp", found, "" if found else failure_words("arp", None))


# -- the table's chain: cheap reads for many VMs at once ---------------------------------------

Leases = Mapping[str, Sequence[tuple[str, int | None]]]
"""Every DHCP lease of a host's networks: MAC (lower case) -> (IP address, prefix)."""


def host_leases(
    conn: libvirt.virConnect, calls: CallCounter
) -> dict[str, list[tuple[str, int | None]]]:
    """The DHCP leases of every active network of the host: 1 + one call per network,
    whatever the number of VMs."""
    calls.record("listAllNetworks (addresses)")
    leases: dict[str, list[tuple[str, int | None]]] = {}
    for net in conn.listAllNetworks(libvirt.VIR_CONNECT_LIST_NETWORKS_ACTIVE):
        calls.record("networkDHCPLeases (addresses)")
        try:
            found = net.DHCPLeases() or []
        except libvirt.libvirtError:
            continue  # a network without a DHCP server
        for lease in found:
            mac, ip = str(lease.get("mac") or "").lower(), str(lease.get("ipaddr") or "")
            prefix = lease.get("prefix")
            if mac and _shown(ip):
                leases.setdefault(mac, []).append((ip, prefix if isinstance(prefix, int) else None))
    return leases


def table_addresses(
    macs: Mapping[str, str], leases: Leases, neighbours: Neighbours
) -> GuestAddresses:
    """A VM's addresses from what the host already knows, no call to the guest: its DHCP
    leases first, then the host's neighbour table. For the table's rows; the VM screen asks
    the agent too (`guest_addresses`)."""
    from_leases = tuple(
        GuestAddress(address=ip, prefix=prefix, interface=dev, mac=mac, source="lease")
        for mac, dev in macs.items()
        for ip, prefix in leases.get(mac, ())
    )
    answers = [SourceAnswer("lease", from_leases, "" if from_leases else "no lease")]
    if not from_leases:
        seen = from_neighbours(macs, neighbours)
        answers.append(SourceAnswer("arp", seen, "" if seen else "no ARP entry"))
    return resolve(answers)
