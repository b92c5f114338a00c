"""The row book without a daemon: ticks and events in every order that matters, in milliseconds.

The same rules are covered end to end on the real libvirtd (tests/integration/test_live_table.py,
test_fleet_core.py); here each rule is pinned exactly, with the times given by the test.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from limen_tui.fleet.row_book import RowBook
from limen_tui.model import DomainEvent, DomainRow, EventKind, PowerState

HOST = "hv1"


def row(
    uuid: str, name: str = "", state: PowerState = PowerState.RUNNING, **kw: object
) -> DomainRow:
    return DomainRow(host=HOST, uuid=uuid, name=name or uuid, state=state, **kw)  # type: ignore[arg-type]


def event(
    uuid: str,
    word: str,
    *,
    state: PowerState | None = None,
    reason: str = "",
    name: str = "",
    kind: EventKind = "lifecycle",
) -> DomainEvent:
    return DomainEvent(
        time=0.0,
        host=HOST,
        uuid=uuid,
        name=name or uuid,
        kind=kind,
        event=word,
        reason=reason,
        state=state,
    )


def test_a_tick_fills_the_book_and_reports_every_row() -> None:
    book = RowBook(HOST)
    shown, gone = book.apply_tick(1.0, [row("a"), row("b")], [])
    assert [r.uuid for r in shown] == ["a", "b"] and gone == []
    assert set(book.rows) == {"a", "b"} and len(book) == 2


def test_a_tick_removes_what_it_says_is_gone_and_only_what_was_known() -> None:
    book = RowBook(HOST)
    book.apply_tick(1.0, [row("a"), row("b")], [])
    _shown, gone = book.apply_tick(2.0, [], ["a", "never-seen"])
    assert gone == [(HOST, "a")] and set(book.rows) == {"b"}


def test_an_event_newer_than_the_ticks_bulk_call_wins_over_that_tick() -> None:
    book = RowBook(HOST)
    book.apply_tick(1.0, [row("a")], [])
    book.apply_event(event("a", "suspended", state=PowerState.PAUSED), at=5.0)
    # This tick's bulk call was sent at 4.0, before the pause: it still says running.
    shown, _ = book.apply_tick(4.0, [row("a", state=PowerState.RUNNING)], [])
    assert shown[0].state is PowerState.PAUSED and book.rows["a"].state is PowerState.PAUSED


def test_an_event_older_than_the_tick_gives_way_to_the_tick_and_is_forgotten() -> None:
    book = RowBook(HOST)
    book.apply_tick(1.0, [row("a")], [])
    book.apply_event(event("a", "suspended", state=PowerState.PAUSED), at=2.0)
    shown, _ = book.apply_tick(3.0, [row("a", state=PowerState.RUNNING)], [])
    assert shown[0].state is PowerState.RUNNING
    # Forgotten: a later tick is not overruled by it either.
    shown, _ = book.apply_tick(4.0, [row("a", state=PowerState.RUNNING)], [])
    assert shown[0].state is PowerState.RUNNING


def test_a_newer_event_keeps_winning_until_a_tick_sent_after_it() -> None:
    book = RowBook(HOST)
    book.apply_event(event("a", "stopped", state=PowerState.SHUTOFF), at=10.0)
    for started in (8.0, 9.0):
        shown, _ = book.apply_tick(started, [row("a", state=PowerState.RUNNING)], [])
        assert shown[0].state is PowerState.SHUTOFF
    shown, _ = book.apply_tick(11.0, [row("a", state=PowerState.RUNNING)], [])
    assert shown[0].state is PowerState.RUNNING


def test_a_newer_event_that_agrees_with_the_tick_lets_the_tick_rows_through() -> None:
    book = RowBook(HOST)
    book.apply_event(event("a", "started", state=PowerState.RUNNING), at=10.0)
    fresh = row("a", state=PowerState.RUNNING, cpu_pct=42.0)
    shown, _ = book.apply_tick(9.0, [fresh], [])
    assert shown[0] == fresh


def test_defined_adds_an_unknown_vm_shut_off_and_persistent() -> None:
    book = RowBook(HOST)
    outcome = book.apply_event(event("n", "defined", name="new-vm"), at=1.0)
    assert outcome.row is not None and outcome.membership_changed
    assert outcome.row.name == "new-vm" and outcome.row.state is PowerState.SHUTOFF
    assert outcome.row.persistent is True and book.rows["n"] == outcome.row


def test_defined_with_reason_renamed_renames_in_place() -> None:
    book = RowBook(HOST)
    book.apply_tick(1.0, [row("a", "old-name", state=PowerState.SHUTOFF, persistent=True)], [])
    outcome = book.apply_event(event("a", "defined", reason="renamed", name="new-name"), at=2.0)
    assert outcome.row is not None and outcome.row.name == "new-name"
    assert book.rows["a"].name == "new-name" and outcome.removed is None


def test_defined_on_a_running_transient_vm_makes_it_persistent_not_renamed() -> None:
    book = RowBook(HOST)
    book.apply_tick(1.0, [row("t", "keep", persistent=False)], [])
    outcome = book.apply_event(event("t", "defined", reason="updated", name="keep"), at=2.0)
    assert outcome.row is not None and outcome.row.persistent is True
    assert outcome.row.name == "keep" and outcome.row.state is PowerState.RUNNING


def test_undefined_removes_a_vm_that_is_not_running() -> None:
    book = RowBook(HOST)
    book.apply_tick(1.0, [row("a", state=PowerState.SHUTOFF, persistent=True)], [])
    outcome = book.apply_event(event("a", "undefined"), at=2.0)
    assert outcome.row is None and outcome.removed == (HOST, "a")
    assert "a" not in book.rows and outcome.membership_changed


def test_undefined_keeps_a_running_vm_as_transient_until_it_stops() -> None:
    book = RowBook(HOST)
    book.apply_tick(1.0, [row("a", persistent=True)], [])
    outcome = book.apply_event(event("a", "undefined"), at=2.0)
    assert outcome.row is not None and outcome.row.persistent is False and "a" in book.rows
    gone = book.apply_event(event("a", "stopped", state=PowerState.SHUTOFF), at=3.0)
    assert gone.row is None and gone.removed == (HOST, "a") and "a" not in book.rows


def test_a_transient_vm_that_stops_is_gone_and_a_persistent_one_stays_shut_off() -> None:
    book = RowBook(HOST)
    book.apply_tick(1.0, [row("t", persistent=False), row("p", persistent=True)], [])
    t = book.apply_event(event("t", "stopped", state=PowerState.SHUTOFF), at=2.0)
    p = book.apply_event(event("p", "stopped", state=PowerState.SHUTOFF), at=2.0)
    assert t.removed == (HOST, "t") and "t" not in book.rows
    assert p.row is not None and p.row.state is PowerState.SHUTOFF and p.removed is None


def test_a_gone_vm_leaves_no_newer_state_behind_for_the_next_tick() -> None:
    book = RowBook(HOST)
    book.apply_tick(1.0, [row("t", persistent=False)], [])
    book.apply_event(event("t", "stopped", state=PowerState.SHUTOFF), at=5.0)
    # A VM of the same uuid started again as transient; the old stop must not dim it.
    shown, _ = book.apply_tick(6.0, [row("t", persistent=False)], [])
    assert shown[0].state is PowerState.RUNNING


@pytest.mark.parametrize(
    "removal",
    [
        [event("t", "stopped", state=PowerState.SHUTOFF)],
        [event("p", "undefined")],
        [event("r", "undefined"), event("r", "stopped", state=PowerState.SHUTOFF)],
    ],
    ids=["transient-stopped", "shut-off-undefined", "running-undefined-then-stopped"],
)
def test_a_tick_sent_before_a_removal_does_not_bring_the_vm_back(
    removal: list[DomainEvent],
) -> None:
    book = RowBook(HOST)
    rows = [
        row("t", persistent=False),
        row("p", state=PowerState.SHUTOFF, persistent=True),
        row("r", persistent=True),
    ]
    book.apply_tick(1.0, rows, [])
    uuid = removal[0].uuid
    for at, e in enumerate(removal, start=5):
        book.apply_event(e, at=float(at))
    assert uuid not in book.rows
    # The tick in flight while the VM went (sent at 4.0, answered after): it still lists it.
    shown, _ = book.apply_tick(4.0, rows, [], present=frozenset(r.uuid for r in rows))
    assert uuid not in book.rows and uuid not in [r.uuid for r in shown]
    # A tick sent after the removal that lists the uuid again (defined anew) shows it.
    shown, _ = book.apply_tick(9.0, rows, [])
    assert uuid in book.rows


def test_a_vm_defined_again_after_its_removal_is_shown_at_once() -> None:
    book = RowBook(HOST)
    book.apply_tick(1.0, [row("p", state=PowerState.SHUTOFF, persistent=True)], [])
    book.apply_event(event("p", "undefined"), at=2.0)
    book.apply_event(event("p", "defined"), at=3.0)
    assert "p" in book.rows
    shown, _ = book.apply_tick(2.5, [row("p", state=PowerState.SHUTOFF, persistent=True)], [])
    assert "p" in book.rows and [r.uuid for r in shown] == ["p"]


@pytest.mark.parametrize(
    ("word", "state"),
    [
        ("started", PowerState.RUNNING),
        ("suspended", PowerState.PAUSED),
        ("resumed", PowerState.RUNNING),
        ("stopped", PowerState.SHUTOFF),
        ("crashed", PowerState.CRASHED),
    ],
)
def test_a_state_event_moves_a_known_row_to_that_state(word: str, state: PowerState) -> None:
    book = RowBook(HOST)
    book.apply_tick(1.0, [row("a", state=PowerState.PAUSED, persistent=True)], [])
    outcome = book.apply_event(event("a", word, state=state), at=2.0)
    assert outcome.row is not None and outcome.row.state is state
    assert book.rows["a"].state is state and not outcome.membership_changed


def test_a_stopped_vm_loses_its_rates_with_its_state() -> None:
    book = RowBook(HOST)
    book.apply_tick(1.0, [row("a", persistent=True, cpu_pct=80.0, net_rx_bps=1000.0)], [])
    outcome = book.apply_event(event("a", "stopped", state=PowerState.SHUTOFF), at=2.0)
    assert outcome.row is not None and outcome.row.cpu_pct is None
    assert outcome.row.net_rx_bps is None


def test_a_state_event_for_an_unknown_vm_adds_nothing() -> None:
    book = RowBook(HOST)
    outcome = book.apply_event(event("ghost", "started", state=PowerState.RUNNING), at=1.0)
    assert outcome.row is None and outcome.removed is None and len(book) == 0


@pytest.mark.parametrize("kind", ["reboot", "agent", "job", "metadata", "device"])
def test_events_other_than_lifecycle_change_no_row(kind: EventKind) -> None:
    book = RowBook(HOST)
    book.apply_tick(1.0, [row("a")], [])
    before = dict(book.rows)
    outcome = book.apply_event(event("a", "something", kind=kind), at=2.0)
    assert outcome.row is None and outcome.removed is None and dict(book.rows) == before


def test_the_last_known_fleet_is_adopted_then_replaced_by_the_first_tick() -> None:
    book = RowBook(HOST)
    book.adopt([row("a"), row("gone")])
    assert set(book.rows) == {"a", "gone"}
    shown, gone = book.apply_tick(1.0, [replace(row("a"), cpu_pct=5.0)], ["gone"])
    assert shown[0].cpu_pct == 5.0 and gone == [(HOST, "gone")] and set(book.rows) == {"a"}


def test_a_vm_an_event_added_is_gone_when_a_later_full_tick_does_not_list_it() -> None:
    book = RowBook(HOST)
    book.apply_tick(1.0, [row("a")], [], frozenset({"a"}))
    book.apply_event(event("n", "defined", name="brief"), at=2.0)
    assert "n" in book.rows
    # The VM vanished with no event for it (a migration away, a missed event): the tick sent
    # after the event does not list it, so it goes.
    _shown, gone = book.apply_tick(3.0, [], [], frozenset({"a"}))
    assert gone == [(HOST, "n")] and set(book.rows) == {"a"}


def test_a_full_tick_sent_before_an_event_does_not_remove_what_the_event_added() -> None:
    book = RowBook(HOST)
    book.apply_tick(1.0, [row("a")], [], frozenset({"a"}))
    book.apply_event(event("n", "defined", name="fresh"), at=5.0)
    _shown, gone = book.apply_tick(4.0, [], [], frozenset({"a"}))  # its call went out at 4.0
    assert gone == [] and "n" in book.rows
