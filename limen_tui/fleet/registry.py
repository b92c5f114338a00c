"""The one registry of VM actions: what each is called, its key, when it may run, how it is
confirmed. Keys, the action menu, the help screen, the palette and the command line all read it.

Pure data: no libvirt here (virt/actions.py holds what each action does in libvirt, by id).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from limen_tui.model.action_params import (
    ActionParams,
    Autostart,
    Delete,
    Migrate,
    NoParams,
    Rename,
    SetMemory,
    SetVcpus,
    SnapshotDelete,
    SnapshotRevert,
    SnapshotTake,
)
from limen_tui.model.device_params import (
    AttachDisk,
    AttachNic,
    ChangeMedia,
    DetachDisk,
    DetachNic,
    EditXml,
    SetBootOrder,
)
from limen_tui.model.tags import SetTags

ActionId = Literal[
    "start",
    "shutdown",
    "reboot",
    "force_off",
    "reset",
    "pause",
    "resume",
    "managed_save",
    "autostart",
    "set_vcpus",
    "set_memory",
    "rename",
    "delete",
    "snapshot_create",
    "snapshot_revert",
    "snapshot_delete",
    "migrate",
    "attach_disk",
    "detach_disk",
    "attach_nic",
    "detach_nic",
    "change_media",
    "set_boot_order",
    "edit_xml",
    "set_tags",
]

Needs = Literal["running", "shut off", "any"]
"""Which VMs an action is for: active ones (running or paused), shut off ones, or any."""

EventWord = Literal["started", "stopped", "suspended", "resumed", "defined", "undefined", "reboot"]
"""The libvirt event (lifecycle event word, or "reboot") that confirms an outcome."""


@dataclass(frozen=True, slots=True)
class ActionSpec:
    id: ActionId
    """Stable name used in config, audit log and code."""
    label: str
    key: str | None
    """Default key (Textual key name); None: reached from a menu or screen only."""
    needs: Needs = "any"
    destructive: bool = False
    """Asks first, naming the VM: the guest gets no chance to save its work."""
    type_name_to_confirm: bool = False
    bulk: bool = True
    """May run on several marked VMs at once (always behind a confirmation)."""
    confirms: frozenset[EventWord] = field(default_factory=frozenset)
    """Events that confirm the outcome; empty: the call's return is the outcome."""
    optional_confirm: bool = False
    """True when the guest may legitimately never send the event (a reboot a guest without
    ACPI ignores): no event means "not confirmed", never "succeeded"."""
    refuted_by: frozenset[EventWord] = field(default_factory=frozenset)
    """Events that say the outcome did not happen, at once (a guest that powers off when
    asked to reboot): "not confirmed" then, without waiting out the timeout."""
    busy: str = ""
    """What the VM's row says while this action is in flight ("shutting down")."""
    next_step: str | None = None
    """The action offered when this one was not confirmed (reset after an ignored reboot)."""
    params: type[ActionParams] = NoParams
    footer: bool = False
    """Shown in the footer of the main screen."""
    in_menu: bool = True
    """Offered in the VM action menu (snapshot actions live in the snapshot screen)."""
    rereads_flags: bool = False
    """Changes what the next tick must read again (autostart, sizes)."""
    confirms_change: bool = False
    """The call names the event that confirms it (the device's alias, the CD-ROM's tray,
    the new definition): device and XML actions (virt/change_actions.py)."""


_CHANGES: tuple[tuple[ActionId, str, type[ActionParams], bool], ...] = (
    ("attach_disk", "Attach disk", AttachDisk, False),
    ("detach_disk", "Detach disk", DetachDisk, True),
    ("attach_nic", "Attach NIC", AttachNic, False),
    ("detach_nic", "Detach NIC", DetachNic, True),
    ("change_media", "Change CD-ROM medium", ChangeMedia, False),
    ("set_boot_order", "Set boot order", SetBootOrder, False),
    ("edit_xml", "Edit domain XML", EditXml, False),
)
"""Device and XML actions: (id, label, parameters, destructive)."""


def _spec(*specs: ActionSpec) -> dict[str, ActionSpec]:
    return {s.id: s for s in specs}


ACTIONS: Mapping[str, ActionSpec] = _spec(
    ActionSpec(
        "start",
        "Start",
        "o",
        "shut off",
        confirms=frozenset({"started"}),
        footer=True,
        busy="starting",
    ),
    ActionSpec(
        "shutdown",
        "Shut down",
        "h",
        "running",
        confirms=frozenset({"stopped"}),
        footer=True,
        busy="shutting down",
        next_step="force_off",
    ),
    ActionSpec(
        "reboot",
        "Reboot",
        "r",
        "running",
        confirms=frozenset({"reboot"}),
        refuted_by=frozenset({"stopped"}),
        optional_confirm=True,
        busy="rebooting",
        next_step="reset",
    ),
    ActionSpec(
        "force_off",
        "Force off",
        "F",
        "running",
        destructive=True,
        confirms=frozenset({"stopped"}),
        busy="stopping",
    ),
    ActionSpec(
        "reset",
        "Reset",
        "R",
        "running",
        destructive=True,
        confirms=frozenset({"reboot"}),
        refuted_by=frozenset({"stopped"}),
        optional_confirm=True,
        busy="resetting",
    ),
    ActionSpec(
        "pause", "Pause/resume", "p", "running", confirms=frozenset({"suspended"}), footer=True
    ),
    ActionSpec("resume", "Resume", None, "running", confirms=frozenset({"resumed"})),
    ActionSpec(
        "managed_save",
        "Save (managed)",
        "m",
        "running",
        confirms=frozenset({"stopped"}),
        busy="saving",
    ),
    ActionSpec("autostart", "Autostart", "a", params=Autostart, rereads_flags=True),
    ActionSpec("set_vcpus", "Set vCPUs", "v", params=SetVcpus, rereads_flags=True),
    ActionSpec("set_memory", "Set memory", "M", params=SetMemory, rereads_flags=True),
    ActionSpec(
        "rename",
        "Rename",
        "n",
        "shut off",
        bulk=False,
        confirms=frozenset({"defined"}),
        params=Rename,
    ),
    ActionSpec(
        "delete",
        "Delete",
        "D",
        destructive=True,
        type_name_to_confirm=True,
        bulk=False,
        confirms=frozenset({"undefined"}),
        params=Delete,
    ),
    ActionSpec(
        "snapshot_create", "Take snapshot", None, bulk=False, params=SnapshotTake, in_menu=False
    ),
    ActionSpec(
        "snapshot_revert",
        "Revert to snapshot",
        None,
        destructive=True,
        bulk=False,
        params=SnapshotRevert,
        in_menu=False,
    ),
    ActionSpec(
        "snapshot_delete",
        "Delete snapshot",
        None,
        destructive=True,
        bulk=False,
        params=SnapshotDelete,
        in_menu=False,
    ),
    # Run by Fleet.run_migration (checks, progress, both hosts' events), not by the action
    # runner: the key opens the migration dialog (ui/migration_flow.py).
    ActionSpec("migrate", "Migrate", "G", bulk=False, params=Migrate, busy="migrating"),
    # The device dialog and the XML screen run these (ui/screens/devices.py, domain_xml.py).
    *(
        ActionSpec(
            id,
            label,
            None,
            destructive=destructive,
            bulk=False,
            params=params,
            in_menu=False,
            confirms_change=True,
        )
        for id, label, params, destructive in _CHANGES
    ),
    # Tags: a change in our own metadata namespace, confirmed by libvirt's metadata event.
    ActionSpec("set_tags", "Tags", "T", params=SetTags, confirms_change=True),
)

BUSY_WORDS: Mapping[str, str] = {a.id: a.busy for a in ACTIONS.values() if a.busy}
"""Operation's action -> what its VM's row says while it is in flight."""

VM_MENU: list[str] = [a.id for a in ACTIONS.values() if a.in_menu]
"""Actions offered in the VM action menu, in registry order."""


@dataclass(frozen=True, slots=True)
class KeyedCommand:
    """A key that is not a VM action but acts on the table (marks, menus, screens)."""

    id: str
    key: str
    method: str
    """The UI's action method it runs."""
    label: str


OTHER_KEYS: tuple[KeyedCommand, ...] = (
    KeyedCommand("mark", "space", "toggle_mark", "Mark"),
    KeyedCommand("mark_all", "asterisk", "mark_shown", "Mark all shown"),
    KeyedCommand("clear_marks", "U", "clear_marks", "Clear marks"),
    KeyedCommand("action_menu", "enter", "action_menu", "Actions"),
    KeyedCommand("vm_screen", "f", "vm_screen", "VM screen"),
    KeyedCommand("snapshots", "x", "snapshots", "Snapshots"),
    KeyedCommand("create_vm", "C", "create_vm", "Create VM"),
    KeyedCommand("clone_vm", "y", "clone_vm", "Clone"),
)


@dataclass(frozen=True, slots=True)
class ScreenKey:
    """A built-in key of the main screen (not an action on VMs): [keys] cannot take it."""

    key: str
    """Textual key name(s), comma-separated."""
    action: str
    """The screen's action it runs (Textual action string)."""
    label: str
    show: bool = False
    """Shown in the footer."""
    tooltip: str = ""


SCREEN_KEYS: tuple[ScreenKey, ...] = (
    ScreenKey("q", "app.quit", "Quit", show=True, tooltip="Leave the console"),
    ScreenKey("question_mark", "help", "Help", show=True),
    ScreenKey("slash", "filter", "Filter", show=True),
    ScreenKey("colon", "command_line", "Command line", show=True),
    ScreenKey("escape", "clear_filter", "Clear filter"),
    ScreenKey("s", "sort_next", "Sort", show=True, tooltip="Sort by the next column"),
    ScreenKey("S", "sort_reverse", "Reverse sort"),
    ScreenKey("d", "toggle_details", "Details"),
    ScreenKey("e", "show_log('events')", "Events"),
    ScreenKey("w", "show_log('operations')", "Operations"),
    ScreenKey("g", "next_log", "Next log"),
    ScreenKey("c", "serial_console", "Serial console"),
    ScreenKey("V", "viewer", "virt-viewer"),
    ScreenKey("t", "focus_table", "Table"),
    ScreenKey("i", "diagnostics", "Diagnostics"),
    ScreenKey("H", "hosts", "Hosts"),
    ScreenKey("P", "pools", "Storage pools"),
    ScreenKey("N", "networks", "Networks"),
    ScreenKey("right_square_bracket", "next_host(1)", "Next host"),
    ScreenKey("left_square_bracket", "next_host(-1)", "Previous host"),
    ScreenKey("L", "toggle_logs_place", "Logs below/beside"),
    ScreenKey("z", "toggle_maximize", "Maximise pane"),
)

APP_KEYS: Mapping[str, str] = {"ctrl+p": "Palette", "ctrl+c": "Quit"}
"""Keys the app itself holds on every screen."""

RESERVED_KEYS: Mapping[str, str] = {
    **{k: s.label for s in SCREEN_KEYS for k in s.key.split(",")},
    **APP_KEYS,
}
"""Built-in key -> what it does: the config file's [keys] may not give one to an action."""

DEFAULT_KEYS: Mapping[str, str] = {
    **{a.id: a.key for a in ACTIONS.values() if a.key is not None},
    **{c.id: c.key for c in OTHER_KEYS},
}
"""Binding id -> default key: what the config file's [keys] may move."""


Resource = Literal["pool", "volume", "network"]
"""What a storage or network action acts on (the screen that offers it)."""

ResourceActionId = Literal[
    "pool_start",
    "pool_stop",
    "pool_refresh",
    "pool_autostart",
    "pool_define",
    "volume_create",
    "volume_resize",
    "volume_clone",
    "volume_wipe",
    "volume_delete",
    "network_start",
    "network_stop",
    "network_autostart",
    "dhcp_pin",
    "dhcp_unpin",
]

ResourceEvent = Literal["started", "stopped", "refreshed", "defined"]
"""The pool or network event that confirms an outcome."""


@dataclass(frozen=True, slots=True)
class ResourceActionSpec:
    """An action on a storage pool, a volume or a network, offered on its screen."""

    id: ResourceActionId
    label: str
    key: str
    """Its key on the screen that lists `on` (Textual key name)."""
    on: Resource
    destructive: bool = False
    """Asks first, naming what will change."""
    type_name_to_confirm: bool = False
    confirms: ResourceEvent | None = None
    """libvirt's event that confirms it; None: libvirt has no event for this change, so the
    outcome is read back from libvirt after the call."""


RESOURCE_ACTIONS: Mapping[str, ResourceActionSpec] = {
    s.id: s
    for s in (
        ResourceActionSpec("pool_start", "Start pool", "o", "pool", confirms="started"),
        ResourceActionSpec(
            "pool_stop", "Stop pool", "h", "pool", destructive=True, confirms="stopped"
        ),
        ResourceActionSpec("pool_refresh", "Refresh pool", "r", "pool", confirms="refreshed"),
        ResourceActionSpec("pool_autostart", "Pool autostart on/off", "a", "pool"),
        ResourceActionSpec(
            "pool_define", "Define a directory pool", "n", "pool", confirms="defined"
        ),
        ResourceActionSpec("volume_create", "Create volume", "c", "volume"),
        ResourceActionSpec("volume_resize", "Resize volume", "z", "volume"),
        ResourceActionSpec("volume_clone", "Clone volume", "y", "volume"),
        ResourceActionSpec(
            "volume_wipe",
            "Wipe volume",
            "W",
            "volume",
            destructive=True,
            type_name_to_confirm=True,
        ),
        ResourceActionSpec(
            "volume_delete",
            "Delete volume",
            "D",
            "volume",
            destructive=True,
            type_name_to_confirm=True,
        ),
        ResourceActionSpec("network_start", "Start network", "o", "network", confirms="started"),
        ResourceActionSpec(
            "network_stop",
            "Stop network",
            "h",
            "network",
            destructive=True,
            confirms="stopped",
        ),
        ResourceActionSpec("network_autostart", "Network autostart on/off", "a", "network"),
        ResourceActionSpec("dhcp_pin", "Pin an address (static DHCP host)", "p", "network"),
        ResourceActionSpec("dhcp_unpin", "Unpin an address", "u", "network", destructive=True),
    )
}
"""Storage and network actions: the pools, volumes and networks screens take their keys (and
so help and the palette their entries) from here; every one runs as an audited operation."""


def resource_actions(on: Resource) -> list[ResourceActionSpec]:
    return [a for a in RESOURCE_ACTIONS.values() if a.on == on]
