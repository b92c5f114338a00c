"""The IP column's addresses: bounded rounds, leases before the neighbour table, kept across
ticks and gone when the VM stops."""

from __future__ import annotations

from limen_tui.fleet.row_book import RowBook
from limen_tui.fleet.table_addresses import AddressRounds
from limen_tui.model import DomainRow, PowerState
from limen_tui.ui.columns import IP, columns_for
from limen_tui.virt.addresses import table_addresses

MAC = "52:54:00:00:00:01"


def test_a_round_asks_only_for_rows_due_and_at_most_its_limit() -> None:
    rounds = AddressRounds(ttl_s=15.0, limit=2)
    assert rounds.due(["a", "b", "c"], now=0.0) == ["a", "b"]
    assert rounds.due(["a", "b", "c"], now=1.0) == ["c"]  # a and b answered 1 s ago
    assert rounds.due(["a", "b", "c"], now=5.0) == []
    assert rounds.due(["a", "b", "c"], now=15.0) == ["a", "b"]  # expired


def test_a_lease_wins_over_the_neighbour_table() -> None:
    found = table_addresses(
        {MAC: "vnet0"}, {MAC: [("192.168.122.5", 24)]}, {MAC: ["192.168.122.77"]}
    )
    assert [(a.address, a.prefix, a.source) for a in found.addresses] == [
        ("192.168.122.5", 24, "lease")
    ]


def test_without_a_lease_the_neighbour_table_answers_else_the_reason() -> None:
    found = table_addresses({MAC: "vnet0"}, {}, {MAC: ["169.254.1.2"]})
    assert [(a.address, a.source, a.interface) for a in found.addresses] == [
        ("169.254.1.2", "arp", "vnet0")
    ]
    none = table_addresses({MAC: "vnet0"}, {}, {})
    assert none.addresses == () and none.reason == "no lease, no ARP entry: is the guest up?"


def row(state: PowerState = PowerState.RUNNING, cpu: float = 1.0) -> DomainRow:
    return DomainRow("h", "u1", "web", state, cpu_pct=cpu)


def test_the_address_stays_across_ticks_and_goes_when_the_vm_stops() -> None:
    book = RowBook("h")
    book.apply_tick(1.0, [row()], [])
    shown = book.set_address("u1", "10.0.0.5", "lease")
    assert shown is not None and shown.address == "10.0.0.5"
    assert book.set_address("u1", "10.0.0.5", "lease") is None  # nothing changed: no repaint
    changed, _ = book.apply_tick(2.0, [row(cpu=50.0)], [])
    assert (changed[0].cpu_pct, changed[0].address) == (50.0, "10.0.0.5")
    changed, _ = book.apply_tick(3.0, [row(PowerState.SHUTOFF).with_state(PowerState.SHUTOFF)], [])
    assert changed[0].address is None
    assert book.set_address("u1", "10.0.0.5", "lease") is None  # a stopped VM has none


def test_the_ip_column_is_for_wide_terminals_and_says_what_is_known() -> None:
    assert "ip" not in [c.key for c in columns_for(120, many_hosts=False)]
    cols = columns_for(132, many_hosts=True)
    assert "ip" in [c.key for c in cols]
    assert sum((c.width or 0) + 2 for c in cols) + 12 + 2 <= 132
    assert IP.cell(row()) == ""  # not asked yet
    assert str(IP.cell(DomainRow("h", "u", "w", PowerState.RUNNING, address=""))) == "none known"
    assert IP.cell(DomainRow("h", "u", "w", PowerState.RUNNING, address="10.0.0.5")) == "10.0.0.5"
    ips = ["10.0.0.10", "10.0.0.9", ""]
    rows = [DomainRow("h", ip, "w", PowerState.RUNNING, address=ip) for ip in ips]
    assert [r.address for r in sorted(rows, key=IP.sort)] == ["", "10.0.0.9", "10.0.0.10"]
