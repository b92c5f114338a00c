"""The IP chain's pure parts: libvirt's answers into marked addresses, the reason in words."""

from __future__ import annotations

import libvirt

from limen_tui.model.addresses import SourceAnswer
from limen_tui.virt.addresses import (
    failure_words,
    from_interfaces,
    from_neighbours,
    interface_macs,
    parse_proc_net_arp,
    resolve,
)

# What qemu-ga on the harness's guest answers through libvirt (agent source).
AGENT_ANSWER = {
    "lo": {
        "hwaddr": "00:00:00:00:00:00",
        "addrs": [{"addr": "127.0.0.1", "prefix": 8, "type": 0}],
    },
    "eth0": {
        "hwaddr": "52:54:00:30:71:fb",
        "addrs": [
            {"addr": "169.254.33.142", "prefix": 30, "type": 0},
            {"addr": "fe80::5054:ff:fe30:71fb", "prefix": 64, "type": 1},
            {"addr": "2001:db8::5", "prefix": 64, "type": 1},
        ],
    },
}

PROC_NET_ARP = """IP address       HW type     Flags       HW address            Mask     Device
169.254.33.142   0x1         0x2         52:54:00:30:71:fb     *        lmt1
169.254.9.6      0x1         0x0         00:00:00:00:00:00     *        lmt2
10.0.0.7         0x1         0x2         52:54:00:AA:BB:CC     *        br0
"""

DOMAIN_XML = """<domain><devices>
  <interface type='ethernet'><mac address='52:54:00:30:71:FB'/><target dev='lmt1'/></interface>
  <interface type='user'><mac address='52:54:00:00:00:02'/></interface>
</devices></domain>"""


def test_agent_addresses_are_marked_and_loopback_and_link_local_v6_left_out() -> None:
    found = from_interfaces("agent", AGENT_ANSWER)
    assert [(a.address, a.prefix, a.interface, a.source) for a in found] == [
        ("169.254.33.142", 30, "eth0", "agent"),
        ("2001:db8::5", 64, "eth0", "agent"),
    ]


def test_the_first_source_that_knows_wins() -> None:
    arp = from_neighbours({"52:54:00:30:71:fb": "lmt1"}, {"52:54:00:30:71:fb": ["169.254.1.2"]})
    answers = [
        SourceAnswer("agent", failure="no agent"),
        SourceAnswer("lease", failure="no lease"),
        SourceAnswer("arp", arp),
    ]
    result = resolve(answers)
    assert result.source == "arp"
    assert [a.address for a in result.addresses] == ["169.254.1.2"]
    assert result.reason == ""


def test_with_nothing_known_the_reason_names_every_source() -> None:
    answers = [
        SourceAnswer("agent", failure="no agent"),
        SourceAnswer("lease", failure="no lease"),
        SourceAnswer("arp", failure="no ARP entry"),
    ]
    result = resolve(answers)
    assert result.addresses == ()
    assert result.reason == "no agent, no lease, no ARP entry: is the guest up?"


def test_a_stopped_vm_is_not_asked() -> None:
    assert resolve((), running=False).reason == "the VM is not running"


def test_the_neighbour_table_is_read_by_mac_and_incomplete_entries_skipped() -> None:
    table = parse_proc_net_arp(PROC_NET_ARP)
    assert table == {"52:54:00:30:71:fb": ["169.254.33.142"], "52:54:00:aa:bb:cc": ["10.0.0.7"]}
    macs = interface_macs(DOMAIN_XML)
    assert macs == {"52:54:00:30:71:fb": "lmt1", "52:54:00:00:00:02": ""}
    found = from_neighbours(macs, table)
    assert [(a.address, a.interface, a.source) for a in found] == [
        ("169.254.33.142", "lmt1", "arp")
    ]


def test_failures_in_words() -> None:
    def error(code: int, message: str) -> libvirt.libvirtError:
        exc = libvirt.libvirtError(message)
        exc.err = (code, 0, message, 0, None, None, None, 0, 0)
        return exc

    unresponsive = error(libvirt.VIR_ERR_AGENT_UNRESPONSIVE, "agent is not connected")
    assert failure_words("agent", unresponsive) == "no agent"
    unconfigured = error(libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED, "QEMU guest agent is not configured")
    assert failure_words("agent", unconfigured) == "no agent channel"
    assert failure_words("lease", None) == "no lease"
    assert failure_words("arp", error(libvirt.VIR_ERR_INTERNAL_ERROR, "wrong nlmsg len")) == (
        "no ARP entry (wrong nlmsg len)"
    )
