"""The `:` command line's words: parsing, completion and history. No Textual here.

k9s and virsh habits: `:vm`, `:host`, `:ops` open a view; `:start web-*`, `:shutdown
state:running host:hv2` run an action on the VMs a pattern names (no pattern: the marked VMs,
else the selected one), asked about first by the same rule as the keys; `:sort cpu desc`,
`:filter ...`, `:columns [name,host,...]`, `:export csv|json PATH`, `:theme NAME`,
`:layout beside`, `:help`, `:quit`. A word the console does not know gets "unknown command
X; did you mean Y".
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from limen_tui.fleet.registry import ACTIONS, RESOURCE_ACTIONS, VM_MENU
from limen_tui.model import DomainRow
from limen_tui.ui.columns import matches
from limen_tui.ui.keys import key_label
from limen_tui.ui.table_groups import GROUP_BY

RESOURCES: dict[str, str] = {
    "vm": "the VM table",
    "host": "the hosts and their health",
    "pool": "storage pools: capacity, start/stop, define (:pool [HOST])",
    "vol": "a pool's volumes, which VM uses each: :vol POOL [HOST]",
    "net": "networks, DHCP leases, pinned addresses (:net [HOST])",
    "snap": "snapshots of the selected VM",
    "dev": "disks, NICs, CD-ROMs and boot order of the selected VM",
    "xml": "the selected VM's domain XML (view, edit in $EDITOR)",
    "ops": "the operations pane",
    "events": "the libvirt events pane",
    "audit": "the operations pane (the audit log: limen-tui audit)",
    "logs": "the selected VM's QEMU log",
    "diag": "diagnostics: libvirt calls, cache",
    "top": (
        "noisy neighbours: VMs ranked by CPU, steal, disk, latency, packets, drops (:top steal hv2)"
    ),
}
"""Views the command line opens, with what each shows (for :help and the palette)."""

VIEW_COMMANDS: dict[str, str] = {
    "sort": "sort by a column: :sort cpu desc",
    "filter": "filter the table: :filter state:running web",
    "columns": "choose the table's columns: :columns (a picker) or :columns name,state,cpu",
    "export": "write the table as shown to a file: :export csv|json PATH",
    "group": "group the rows under headers with totals: :group tag|host|state|os|off (- folds)",
    "theme": "change the colours, remembered: :theme limen-mono (no colour)",
    "layout": "logs below or beside, details on or off: :layout beside",
    "evacuate": "move every running VM off a host, after its plan and a question: :evacuate HOST",
    "help": "every key and command",
    "quit": "leave the console",
}

ALIASES: dict[str, str] = {
    # virsh's words for the same actions
    "destroy": "force_off",
    "suspend": "pause",
    "save": "managed_save",
    "undefine": "delete",
    "setvcpus": "set_vcpus",
    "setmem": "set_memory",
    "domrename": "rename",
    "q": "quit",
    "hosts": "host",
    "pools": "pool",
    "volumes": "vol",
    "volume": "vol",
    "nets": "net",
    "network": "net",
    "networks": "net",
    "vms": "vm",
    "snapshots": "snap",
    "devices": "dev",
    "edit": "xml",
    "operations": "ops",
    "diagnostics": "diag",
}

COMMAND_ACTIONS: tuple[str, ...] = tuple(VM_MENU)
"""VM actions the command line runs (snapshot ones live in the snapshot screen)."""

LAYOUTS = ("below", "beside", "details", "nodetails")
SORT_ORDERS = ("asc", "desc")
EXPORT_FORMATS = ("csv", "json")
GROUPINGS = (*GROUP_BY, "off")
FILTER_WORDS = ("state:running", "state:paused", "state:shutoff", "state:crashed")

Kind = Literal["resource", "action", "view", "empty", "unknown"]


@dataclass(frozen=True, slots=True)
class Command:
    kind: Kind
    name: str
    """Resource name, action id or view command; the word typed when unknown."""
    args: tuple[str, ...] = ()
    error: str = ""


def words() -> list[str]:
    """Every first word the command line knows."""
    return [*RESOURCES, *COMMAND_ACTIONS, *VIEW_COMMANDS, *ALIASES]


def parse(text: str) -> Command:
    parts = text.strip().removeprefix(":").split()
    if not parts:
        return Command("empty", "")
    first, args = parts[0].lower(), tuple(parts[1:])
    first = ALIASES.get(first, first)
    if first in RESOURCES:
        return Command("resource", first, args)
    if first in COMMAND_ACTIONS:
        return Command("action", first, args)
    if first in VIEW_COMMANDS:
        problem = _view_problem(first, args)
        return Command("view", first, args, problem)
    close = difflib.get_close_matches(first, words(), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else "; :help lists the commands"
    return Command("unknown", parts[0], args, f"unknown command {parts[0]}{hint}")


def _view_problem(name: str, args: tuple[str, ...]) -> str:
    if name == "sort" and (not args or (len(args) > 1 and args[1].lower() not in SORT_ORDERS)):
        return "sort needs a column, then asc or desc: :sort cpu desc"
    if name == "layout" and (len(args) != 1 or args[0].lower() not in LAYOUTS):
        return f"layout is one of: {', '.join(LAYOUTS)}"
    if name == "export" and (len(args) != 2 or args[0].lower() not in EXPORT_FORMATS):
        return "export needs a format and a file: :export csv ~/vms.csv (or json)"
    if name == "group" and (len(args) != 1 or args[0].lower() not in GROUPINGS):
        return f"group by one of: {', '.join(GROUPINGS)}"
    if name == "theme" and len(args) != 1:
        return "theme needs a name: :theme nord (Tab lists them)"
    if name == "evacuate" and len(args) != 1:
        return "evacuate needs one host: :evacuate HOST (Tab lists them)"
    return ""


def is_pattern(word: str) -> bool:
    return any(c in word for c in "*?[")


def select_rows(rows: Iterable[DomainRow], args: Sequence[str]) -> list[DomainRow]:
    """The VMs a command's words name: a glob (web-*) matches whole names; other words
    filter as the filter box does (state:running, host:hv2, a part of the name)."""
    globs = [w.casefold() for w in args if is_pattern(w)]
    others = " ".join(w for w in args if not is_pattern(w))
    chosen = []
    for row in rows:
        name = row.name.casefold()
        if globs and not any(fnmatch.fnmatchcase(name, g) for g in globs):
            continue
        if others and not matches(row, others):
            continue
        chosen.append(row)
    return sorted(chosen, key=lambda r: (r.name.casefold(), r.host))


def _common_prefix(items: list[str]) -> str:
    if not items:
        return ""
    first, last = min(items), max(items)
    i = 0
    while i < len(first) and i < len(last) and first[i] == last[i]:
        i += 1
    return first[:i]


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    """The line after Tab (the common part of the candidates filled in)."""
    candidates: tuple[str, ...]


def complete(
    text: str,
    *,
    vm_names: Iterable[str] = (),
    hosts: Iterable[str] = (),
    columns: Iterable[str] = (),
    themes: Iterable[str] = (),
    all_columns: Iterable[str] = (),
) -> Completion:
    """What Tab does to `text`: the last word completed among what fits where it stands."""
    head, _, last = text.rpartition(" ")
    typed = head.split()
    if not typed:
        pool = sorted(set(words()))
    else:
        first = ALIASES.get(typed[0].lower(), typed[0].lower())
        if first == "sort":
            pool = list(columns) if len(typed) == 1 else list(SORT_ORDERS)
        elif first == "layout":
            pool = list(LAYOUTS)
        elif first == "group":
            pool = list(GROUPINGS)
        elif first == "export" and len(typed) == 1:
            pool = list(EXPORT_FORMATS)
        elif first == "columns" and len(typed) == 1:
            return _complete_list(text, head, last, list(all_columns))
        elif first == "theme":
            pool = sorted(themes)
        elif first in ("pool", "net") or (first == "vol" and len(typed) > 1):
            pool = sorted(hosts)
        elif first == "evacuate":
            pool = list(hosts) if len(typed) == 1 else []
        elif first == "migrate":
            pool = [*sorted(set(vm_names)), *hosts]
        elif first in COMMAND_ACTIONS or first == "filter":
            pool = [*sorted(set(vm_names)), *FILTER_WORDS, *(f"host:{h}" for h in hosts)]
        else:
            pool = []
    low = last.casefold()
    found = [c for c in pool if c.casefold().startswith(low)]
    if not found:
        return Completion(text, ())
    fill = found[0] + " " if len(found) == 1 else _common_prefix(found) or last
    prefix = f"{head} " if head else ""
    return Completion(prefix + fill, tuple(found))


def _complete_list(text: str, head: str, last: str, pool: list[str]) -> Completion:
    """Tab in a comma list (`name,host,c`): the item after the last comma."""
    done, _, item = last.rpartition(",")
    found = [c for c in pool if c.startswith(item.casefold())]
    if not found:
        return Completion(text, ())
    fill = found[0] if len(found) == 1 else _common_prefix(found) or item
    return Completion(f"{head} {done}{',' if done else ''}{fill}", tuple(found))


class History:
    """The commands run, newest last, bounded; Up/Down walk it like a shell's."""

    def __init__(self, limit: int = 100) -> None:
        self.limit = limit
        self.items: list[str] = []
        self._at = 0

    def add(self, line: str) -> None:
        line = line.strip()
        if line and (not self.items or self.items[-1] != line):
            self.items.append(line)
            del self.items[: -self.limit]
        self._at = len(self.items)

    def older(self, current: str = "") -> str:
        if not self.items:
            return current
        self._at = max(0, self._at - 1)
        return self.items[self._at]

    def newer(self) -> str:
        self._at = min(len(self.items), self._at + 1)
        return self.items[self._at] if self._at < len(self.items) else ""


def help_lines() -> list[tuple[str, str]]:
    """(command, what it does) for the help screen and the palette."""
    out = [(f":{name}", what) for name, what in RESOURCES.items()]
    out += [
        (f":{a} [pattern]", f"{ACTIONS[a].label} (the selection, or VMs named)")
        for a in VM_MENU
        if a != "migrate"
    ]
    out.append((":migrate [VM] HOST", "Migrate the VM (the selected one) to HOST: the dialog"))
    out += [(f":{name}", what) for name, what in VIEW_COMMANDS.items()]
    screens = {"pool": ":pool", "volume": ":vol", "network": ":net"}
    out += [
        (f"{screens[a.on]}, then {key_label(a.key)}", a.label) for a in RESOURCE_ACTIONS.values()
    ]
    return out
