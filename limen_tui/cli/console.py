"""`limen-tui`: build the fleet from the options and the config file, then open the console."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from limen_tui import __version__
from limen_tui.cli.common import (
    DEFAULTS,
    EXIT_UNREACHABLE,
    add_common_options,
    report_unreachable,
    resolve,
)
from limen_tui.config import file as config_file
from limen_tui.config.bounds import CONSOLE_BOUNDS, check_number
from limen_tui.fleet.action_keys import DEFAULT_KEYS
from limen_tui.store.cache import DEFAULT_TTLS

RESERVED_KEYS: dict[str, str] = {
    "q": "Quit",
    "question_mark": "Help",
    "slash": "Filter",
    "escape": "Clear filter",
    "s": "Sort",
    "S": "Reverse sort",
    "d": "Details",
    "e": "Events",
    "w": "Operations",
    "g": "Next log",
    "c": "Serial console",
    "V": "virt-viewer",
    "t": "Table",
    "i": "Diagnostics",
    "H": "Hosts",
    "right_square_bracket": "Next host",
    "left_square_bracket": "Previous host",
    "L": "Logs below/beside",
    "z": "Maximise pane",
    "colon": "Command line",
    "ctrl+p": "Palette",
    "ctrl+c": "Quit",
}
"""The main screen's built-in keys -> what each does: [keys] may not give one to an action."""


def console_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="limen-tui",
        description="A keyboard-driven console for KVM/libvirt hosts. "
        "Subcommands: `limen-tui list` prints the VM table once, for scripts; "
        "`limen-tui audit` prints the audit log; `limen-tui health` every host's health; "
        "`limen-tui cache stats|clear`.",
    )
    parser.add_argument("--version", action="version", version=f"limen-tui {__version__}")
    add_common_options(parser)
    parser.add_argument(
        "--interval",
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"seconds between two stats refreshes (default {DEFAULTS.refresh_interval:g})",
    )
    return parser


def load_config(path: Path | None) -> config_file.FileConfig:
    """The config file, checked against the action registry and the built-in keys."""
    return config_file.load(
        path,
        required=path is not None,
        bindings=DEFAULT_KEYS,
        reserved=RESERVED_KEYS,
        cache_kinds=DEFAULT_TTLS,
    )


def run_console(argv: Sequence[str]) -> int:
    args = console_parser().parse_args(argv)
    for option, value, setting in (
        ("--interval", args.interval, "refresh_interval"),
        ("--timeout", args.timeout, "connect_timeout"),
    ):
        reason = None if value is None else check_number(value, CONSOLE_BOUNDS[setting])
        if reason is not None:
            print(f"limen-tui: {option}: {reason}", file=sys.stderr)
            return EXIT_UNREACHABLE
    try:
        file_config = load_config(args.config)
    except config_file.ConfigError as exc:
        print(f"limen-tui: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    settings = file_config.settings
    changes: dict[str, object] = {}
    if args.interval is not None:
        changes["refresh_interval"] = args.interval
    if args.timeout is not None:
        changes["connect_timeout"] = args.timeout
    if args.readonly:
        changes["readonly"] = True
    settings = replace(settings, **changes)  # type: ignore[arg-type]
    args.timeout = settings.connect_timeout
    args.readonly = settings.readonly
    hosts = file_config.hosts
    config_uris = [h.uri for h in hosts.hosts] if hosts is not None else []
    by_uri = {h.uri: h.name for h in hosts.hosts} if hosts is not None else {}
    resolved, failures = resolve(args, config_uris if not args.connect and not args.demo else None)
    uris = list(resolved)
    names = {real: by_uri[given] for real, given in resolved.items() if given in by_uri}
    names.update({uri: by_uri[uri] for uri, _ in failures if uri in by_uri})
    if not uris:
        report_unreachable(failures)
        return EXIT_UNREACHABLE
    # Hosts that failed the first try are still watched: they come up when they answer.
    uris += [uri for uri, _ in failures if uri]
    from limen_tui.logs.own_log import setup_own_logging
    from limen_tui.store.audit import AuditLog
    from limen_tui.store.cache import Cache
    from limen_tui.ui.app import LimenApp

    audit = AuditLog(retention_days=settings.audit_retention_days)
    apps: list[LimenApp] = []
    own_log = setup_own_logging(
        level=logging.INFO, on_line=lambda line: apps[0].own_log_line(line) if apps else None
    )
    with Cache(
        ttls=settings.cache_ttls, max_bytes=int(settings.cache_max_mb * 1024 * 1024)
    ) as cache:
        app = LimenApp(
            uris,
            settings,
            demo=args.demo,
            keymap=file_config.keymap,
            audit=audit,
            cache=cache,
            hosts_config=hosts,
            names=names,
            health=not args.demo,
            own_log=own_log,
        )
        apps.append(app)
        try:
            app.run()
        finally:
            own_log.close()
    return 0
