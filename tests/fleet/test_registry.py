"""The one action registry: every action it names can run, and every runnable action is named."""

from __future__ import annotations

from limen_tui.fleet.registry import ACTIONS, DEFAULT_KEYS, OTHER_KEYS, VM_MENU
from limen_tui.virt.actions import RUN
from limen_tui.virt.change_actions import CHANGE


def test_every_registered_action_has_its_libvirt_work_and_nothing_else_does() -> None:
    assert set(RUN) | set(CHANGE) == set(ACTIONS)
    assert not set(RUN) & set(CHANGE)
    assert {a.id for a in ACTIONS.values() if a.confirms_change} == set(CHANGE)


def test_no_two_bindings_share_a_default_key() -> None:
    keys = list(DEFAULT_KEYS.values())
    assert len(keys) == len(set(keys)), keys


def test_destructive_actions_are_the_ones_operators_expect() -> None:
    destructive = {a.id for a in ACTIONS.values() if a.destructive}
    assert destructive == {
        "force_off",
        "reset",
        "delete",
        "snapshot_revert",
        "snapshot_delete",
        "detach_disk",
        "detach_nic",
    }
    assert ACTIONS["delete"].type_name_to_confirm and not ACTIONS["delete"].bulk


def test_the_menu_offers_vm_actions_and_leaves_snapshot_ones_to_their_screen() -> None:
    assert "start" in VM_MENU and "delete" in VM_MENU
    assert not any(a.startswith("snapshot_") for a in VM_MENU)
    assert {c.id for c in OTHER_KEYS} <= set(DEFAULT_KEYS)
