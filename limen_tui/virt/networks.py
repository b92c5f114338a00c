"""Virtual networks in libvirt: reading them and their DHCP leases, and each change as a
`ResourceChange`.

Blocking: run in the host's workers. Start and stop are confirmed by libvirt's network
lifecycle events. Autostart and the DHCP host entries have no event in libvirt: each is
confirmed by reading libvirt back (both the live and the persistent config for a pin).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import libvirt

from limen_tui.model.action_params import NetworkAutostart, OnNetwork, PinAddress
from limen_tui.model.networks import DhcpHost, Lease, Network
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.changes import Confirm, Refused, ResourceChange
from limen_tui.virt.domain_uses import domain_uses


def parse_network(name: str, xml: str, active: bool, autostart: bool, persistent: bool) -> Network:
    root = ET.fromstring(xml)
    forward = root.find("forward")
    mode = "isolated" if forward is None else forward.get("mode", "nat")
    bridge = root.find("bridge")
    ranges: list[str] = []
    hosts: list[DhcpHost] = []
    for dhcp in root.iterfind("ip/dhcp"):
        for r in dhcp.iterfind("range"):
            ranges.append(f"{r.get('start', '?')}-{r.get('end', '?')}")
        for h in dhcp.iterfind("host"):
            hosts.append(DhcpHost(h.get("mac", ""), h.get("ip", ""), h.get("name", "")))
    return Network(
        name,
        active,
        autostart,
        persistent,
        bridge.get("name", "") if bridge is not None else "",
        mode,
        tuple(ranges),
        tuple(hosts),
    )


def read_networks(conn: libvirt.virConnect, calls: CallCounter) -> list[Network]:
    calls.record("listAllNetworks")
    out = []
    for net in conn.listAllNetworks(0):
        calls.record("networkGetXMLDesc")
        out.append(
            parse_network(
                net.name(),
                net.XMLDesc(0),
                bool(net.isActive()),
                bool(net.autostart()),
                bool(net.isPersistent()),
            )
        )
    return sorted(out, key=lambda n: n.name)


def read_leases(conn: libvirt.virConnect, network: str, calls: CallCounter) -> list[Lease]:
    """The network's DHCP leases, each with the VM whose NIC has its MAC; [] for an inactive
    network or a driver without a DHCP server (the test driver)."""
    calls.record("networkLookupByName")
    net = conn.networkLookupByName(network)
    if not net.isActive():
        return []
    calls.record("networkDHCPLeases")
    try:
        found = net.DHCPLeases()
    except libvirt.libvirtError as exc:
        if exc.get_error_code() in (libvirt.VIR_ERR_NO_SUPPORT, libvirt.VIR_ERR_INVALID_ARG):
            return []
        raise
    if not found:
        return []
    by_mac = domain_uses(conn, calls).by_mac
    out = [
        Lease(
            str(lease.get("mac", "")),
            str(lease.get("ipaddr", "")),
            int(lease.get("prefix", 0) or 0),
            str(lease.get("hostname") or ""),
            int(lease.get("expirytime", 0) or 0),
            by_mac.get(str(lease.get("mac", "")).lower(), ""),
        )
        for lease in found
    ]
    return sorted(out, key=lambda lease: lease.ip)


def network_start(p: OnNetwork) -> ResourceChange:
    return ResourceChange(
        lambda conn: (conn.networkLookupByName(p.network).create(), "start sent")[1],
        Confirm("network", p.network, "started"),
    )


def network_stop(p: OnNetwork) -> ResourceChange:
    return ResourceChange(
        lambda conn: (conn.networkLookupByName(p.network).destroy(), "stop sent")[1],
        Confirm("network", p.network, "stopped"),
    )


def network_autostart(p: NetworkAutostart) -> ResourceChange:
    def call(conn: libvirt.virConnect) -> str:
        conn.networkLookupByName(p.network).setAutostart(int(p.enabled))
        return f"autostart {'on' if p.enabled else 'off'}"

    def read_back(conn: libvirt.virConnect) -> str:
        now = bool(conn.networkLookupByName(p.network).autostart())
        if now != p.enabled:
            raise RuntimeError(f"libvirt still says autostart {'on' if now else 'off'}")
        return f"read back: autostart {'on' if now else 'off'}"

    return ResourceChange(call, read_back=read_back)


def host_xml(p: PinAddress) -> str:
    attrs = {"mac": p.mac.lower(), "ip": p.ip}
    if p.hostname:
        attrs["name"] = p.hostname
    return ET.tostring(ET.Element("host", attrs), encoding="unicode")


def _pinned(xml: str, p: PinAddress) -> bool:
    return any(
        h.mac.lower() == p.mac.lower() and h.ip == p.ip
        for h in parse_network("", xml, False, False, False).hosts
    )


def _configs(net: libvirt.virNetwork) -> list[tuple[str, str]]:
    """(which, XML) of the configs a pin changes: live and persistent, or the one there is."""
    out = []
    if net.isActive():
        out.append(("live", net.XMLDesc(0)))
    if net.isPersistent():
        out.append(("persistent", net.XMLDesc(libvirt.VIR_NETWORK_XML_INACTIVE)))
    return out


def _update_flags(net: libvirt.virNetwork) -> int:
    """Live and persistent config together (as `virsh net-update --live --config`); only the
    one that exists when the network is inactive or transient."""
    flags = 0
    if net.isActive():
        flags |= libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE
    if net.isPersistent():
        flags |= libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG
    return flags


def _pin_change(p: PinAddress, add: bool) -> ResourceChange:
    def call(conn: libvirt.virConnect) -> str:
        net = conn.networkLookupByName(p.network)
        configs = _configs(net)
        if add:
            taken = [
                h
                for _which, xml in configs
                for h in parse_network("", xml, False, False, False).hosts
                if h.ip == p.ip or h.mac.lower() == p.mac.lower()
            ]
            if taken:
                t = taken[0]
                raise Refused(f"{p.network} already pins {t.mac} to {t.ip}; unpin that first")
        elif not any(_pinned(xml, p) for _which, xml in configs):
            raise Refused(f"{p.network} does not pin {p.mac} to {p.ip}")
        command = (
            libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST
            if add
            else libvirt.VIR_NETWORK_UPDATE_COMMAND_DELETE
        )
        net.update(
            command, libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST, -1, host_xml(p), _update_flags(net)
        )
        where = " and ".join(which for which, _xml in configs)
        verb = f"pinned {p.mac} to" if add else f"unpinned {p.mac} from"
        return f"{verb} {p.ip} ({where})"

    def read_back(conn: libvirt.virConnect) -> str:
        net = conn.networkLookupByName(p.network)
        wrong = [which for which, xml in _configs(net) if _pinned(xml, p) != add]
        if wrong:
            raise RuntimeError(
                f"the {' and '.join(wrong)} config {'lacks' if add else 'still has'} the entry"
            )
        return "read back from the live and persistent config"

    return ResourceChange(call, read_back=read_back)


def dhcp_pin(p: PinAddress) -> ResourceChange:
    return _pin_change(p, add=True)


def dhcp_unpin(p: PinAddress) -> ResourceChange:
    return _pin_change(p, add=False)
