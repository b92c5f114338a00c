"""The main screen's `:` command line: what each parsed command does on this screen.

A base of MainScreen, above MainKeys: a command runs what the key for it runs, so an action
typed as `:shutdown web-*` is asked about by the same rule as `*` then `h`.
"""

from __future__ import annotations

import difflib
from dataclasses import replace

from textual.widgets import Input

from limen_tui.config.settings import Settings
from limen_tui.fleet.noisy import Metric
from limen_tui.ui import saved_layout, themes
from limen_tui.ui import text as fmt
from limen_tui.ui.columns import ALL_COLUMNS, chosen_columns
from limen_tui.ui.command_line import Command, Completion, complete, parse, select_rows
from limen_tui.ui.export import ExportError, Format, export
from limen_tui.ui.screens.column_picker import Choice, ColumnPicker
from limen_tui.ui.screens.main_keys import MainKeys
from limen_tui.ui.screens.noisy import WORDS, NoisyScreen
from limen_tui.ui.widgets.command_bar import CommandBar


class MainCommands(MainKeys):
    command_bar: CommandBar
    settings: Settings

    def action_command_line(self) -> None:
        bar = self.command_bar
        bar.open()
        self.set_focus(bar.input)  # now: the keys typed after : are the command line's

    def _command_closed(self) -> None:
        self.set_focus(self.table)

    def complete_command(self, text: str) -> Completion:
        rows = self.table.rows_by_key.values()
        return complete(
            text,
            vm_names=[r.name for r in rows],
            hosts=list(self.fleet.hosts) if self.fleet is not None else [],
            columns=[c.key for c in self.table.shown_columns],
            themes=list(self.app.available_themes),
            all_columns=list(ALL_COLUMNS),
        )

    def command_entered(self, line: str) -> None:
        self.run_command(parse(line))

    def _say(self, text: str, *, warn: bool = False) -> None:
        self.notify(text, severity="warning" if warn else "information", markup=False)

    def run_command(self, command: Command) -> None:
        if command.error:
            self._say(command.error, warn=True)
        elif command.kind == "resource":
            self._open(command.name, command.args)
        elif command.kind == "action":
            self._act(command.name, command.args)
        elif command.kind == "view":
            self._view(command.name, command.args)

    def _open_on_host(self, name: str, args: tuple[str, ...]) -> None:
        """:pool [HOST], :vol POOL [HOST], :net [HOST]."""
        pool = args[0] if name == "vol" and args else ""
        rest = args[1:] if name == "vol" else args
        host = rest[0] if rest else ""
        if name == "vol" and not pool:
            self._say("vol needs a pool: :vol default (or :pool, then Enter)", warn=True)
            return
        if host and (self.fleet is None or host not in self.fleet.hosts):
            self._say(f"no host {fmt.printable(host)}", warn=True)
            return
        if name == "net":
            self.action_networks(host)
        else:
            self.action_pools(host, pool)

    def _open(self, name: str, args: tuple[str, ...] = ()) -> None:
        if name == "vm":
            self.set_focus(self.table)
        elif name == "host":
            self.action_hosts()
        elif name in ("pool", "vol", "net"):
            self._open_on_host(name, args)
        elif name == "snap":
            self.action_snapshots()
        elif name in ("dev", "xml"):
            self._other("devices" if name == "dev" else "domain_xml")
        elif name in ("ops", "audit"):
            self.action_show_log("operations")
            if name == "audit":
                self._say("every operation is in the audit log too: limen-tui audit")
        elif name == "events":
            self.action_show_log("events")
        elif name == "logs":
            self.action_show_log("qemu")
        elif name == "diag":
            self.action_diagnostics()
        elif name == "top":
            self._top(args)

    def _top(self, args: tuple[str, ...]) -> None:
        """`:top [cpu|steal|iops|disk|latency|net|packets|drops] [HOST]`: the noisy-neighbour
        view."""
        hosts = self.fleet.hosts if self.fleet is not None else {}
        metric: Metric = "cpu"
        host: str | None = None
        for word in args:
            if word.lower() in WORDS:
                metric = WORDS[word.lower()]
            elif word in hosts:
                host = word
            else:
                known = ", ".join([*WORDS, *hosts])
                self._say(
                    f"top: no figure or host {fmt.printable(word)}; one of {known}", warn=True
                )
                return
        self.app.push_screen(NoisyScreen(hosts, metric, host))

    def _act(self, action: str, args: tuple[str, ...]) -> None:
        if action == "migrate":
            self._migrate(args)
            return
        if args:
            targets = select_rows(self.table.rows_by_key.values(), args)
            if not targets:
                self._say(f"no VM matches {' '.join(fmt.printable(a) for a in args)}", warn=True)
                return
        else:
            targets = self.table.targets()
        self.actions.key(action, targets)

    def _migrate(self, args: tuple[str, ...]) -> None:
        """`:migrate [VM] HOST`: the destination last; no VM words: the selected VM."""
        hosts = list(self.fleet.hosts) if self.fleet is not None else []
        dest: str | None = None
        if args:
            if args[-1] not in hosts:
                problem = self.actions.migrations.host_problem(args[-1])
                self._say(f"{problem}: :migrate [VM] HOST, the host last", warn=True)
                return
            dest, args = args[-1], args[:-1]
        rows = self.table.rows_by_key.values()
        exact = [r for r in rows if len(args) == 1 and r.name == args[0]]
        targets = exact or (select_rows(rows, args) if args else self.table.targets())
        named = " ".join(fmt.printable(a) for a in args)
        if not targets:
            self._say(f"no VM matches {named}" if args else "No VM selected", warn=True)
        elif len(targets) > 1:
            what = f"{named} matches {len(targets)} VMs" if args else f"{len(targets)} are marked"
            self._say(f"Migrate works on one VM at a time: {what}; :evacuate moves many", warn=True)
        else:
            self.actions.migrations.ask(targets[0], dest)

    def _view(self, name: str, args: tuple[str, ...]) -> None:
        if name == "sort":
            keys = [c.key for c in self.table.shown_columns]
            column = args[0].lower()
            if column not in keys:
                close = difflib.get_close_matches(column, keys, n=1)
                hint = f"; did you mean {close[0]}?" if close else f"; one of {', '.join(keys)}"
                self._say(f"no column {column} at this width{hint}", warn=True)
                return
            desc = len(args) > 1 and args[1].lower() == "desc"
            self.table.sort_by(column, reverse=desc)
        elif name == "filter":
            box = self.query_one("#filter", Input)
            box.value = " ".join(args)
            box.set_class(bool(box.value), "visible")
            self.table.set_filter(box.value)
            self._show_selected()
        elif name == "columns":
            self._columns(" ".join(args))
        elif name == "group":
            by = args[0].lower()
            self.table.group(None if by == "off" else by)
        elif name == "export":
            kind: Format = "json" if args[0].lower() == "json" else "csv"
            self._export(kind, " ".join(args[1:]))
        elif name == "theme":
            self._theme(args[0])
        elif name == "layout":
            self._layout(args[0].lower())
        elif name == "evacuate":
            self.actions.migrations.evacuate(args[0])
        elif name == "help":
            self.action_help()
        elif name == "quit":
            self.app.exit()

    def _columns(self, text: str) -> None:
        """`:columns` opens the picker; `:columns name,state,cpu` sets them; `:columns fit`
        goes back to the columns that fit. Kept for this width class of terminal."""
        size_class = saved_layout.width_class(self.app.size.width)
        if not text:
            shown = [c.key for c in self.table.shown_columns]
            self.app.push_screen(ColumnPicker(shown, size_class), self._columns_picked)
            return
        if text.lower() in ("fit", "auto", "reset"):
            self._columns_picked([])
            return
        cols, problem = chosen_columns(text)
        if problem:
            self._say(problem, warn=True)
            return
        self._columns_picked([c.key for c in cols])

    def _columns_picked(self, keys: Choice) -> None:
        if keys is None:
            return
        size_class = saved_layout.width_class(self.app.size.width)
        chosen = {k: v for k, v in self.layout_state.columns.items() if k != size_class}
        if keys:
            chosen[size_class] = keys
        self._remember(replace(self.layout_state, columns=chosen))
        self.table.choose_columns(chosen)
        shown = ", ".join(c.label for c in self.table.shown_columns)
        self._say(f"columns on {size_class} terminals: {shown}")

    def _export(self, kind: Format, path: str) -> None:
        """Every shown row, in the shown order and columns, written off the UI loop."""
        rows = self.table.shown_rows()
        columns = self.table.shown_columns

        def write() -> None:
            try:
                where = export(kind, rows, columns, path)
            except ExportError as exc:
                self.app.call_from_thread(self._say, f"export failed: {exc}", warn=True)
                return
            said = f"exported {len(rows)} VMs to {where}"
            self.app.call_from_thread(self._say, said)

        self.run_worker(
            write, thread=True, group="export", exit_on_error=False, description="exporting"
        )

    def _theme(self, name: str) -> None:
        known = list(self.app.available_themes)
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            self._say(
                f"unknown theme {name}" + (f"; did you mean {close[0]}?" if close else ""),
                warn=True,
            )
            return
        self.app.theme = name
        if self.layout_state.theme != name:
            self._remember(replace(self.layout_state, theme=name))
        if self.app.no_color and name != themes.MONO:
            self._say(f"theme {name}, in greys: NO_COLOR is set")
        elif self.settings.theme and self.settings.theme != name:
            self._say(f"theme {name}; the config file starts the console in {self.settings.theme}")

    def _layout(self, what: str) -> None:
        state = self.layout_state
        if what in ("below", "beside"):
            self.set_layout(replace(state, logs=what))
        else:
            self.set_layout(replace(state, details=what == "details"))
