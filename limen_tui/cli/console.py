"""`limen-tui`: build the fleet from the options and the config file, then open the console."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import replace

from limen_tui import __version__
from limen_tui.cli.common import (
    DEFAULTS,
    EXIT_UNREACHABLE,
    add_common_options,
    chosen_uris,
    load_config,
    report_unreachable,
)
from limen_tui.cli.factory import make_app
from limen_tui.config import file as config_file
from limen_tui.config.bounds import CONSOLE_BOUNDS, check_number
from limen_tui.logs.own_log import setup_own_logging
from limen_tui.store.audit import AuditLog
from limen_tui.store.cache import Cache
from limen_tui.ui.app import LimenApp
from limen_tui.ui.themes import THEME_NAMES


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
        file_config = load_config(args.config, themes=THEME_NAMES)
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
    names = {h.uri: h.name for h in hosts.hosts} if hosts is not None else {}
    uris = chosen_uris(args, config_uris if not args.connect and not args.demo else None)
    audit = AuditLog(retention_days=settings.audit_retention_days)
    apps: list[LimenApp] = []
    own_log = setup_own_logging(
        level=logging.INFO, on_line=lambda line: apps[0].own_log_line(line) if apps else None
    )
    with Cache(
        ttls=settings.cache_ttls, max_bytes=int(settings.cache_max_mb * 1024 * 1024)
    ) as cache:
        # Nothing here waits for a host: the console paints at once, every host connects on
        # its own, and the app ends with the failures only when none answered.
        app = make_app(
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
            end_if_unreachable=True,
            demo_activity=args.demo,  # the demo comes alive; never any other host
            stretch_refresh=True,  # over its own budget, the console slows its refresh
        )
        app.handle_signals = True  # SIGTERM, SIGHUP: leave cleanly, the terminal restored
        apps.append(app)
        try:
            failures = app.run()
        finally:
            own_log.close()
    code = app.return_code or 0  # 128 + the signal when SIGTERM or SIGHUP ended it
    if failures:
        report_unreachable(failures)
        code = EXIT_UNREACHABLE
    leave_stuck_calls(code)
    return code


def leave_stuck_calls(code: int, grace: float = 2.0) -> None:
    """At the very end, a libvirt call still blocked in a worker (an open of a host that never
    answered) would keep the process from exiting: Python joins its worker threads. The
    console is done and every file is closed, so end the process rather than hang the
    operator's terminal; nothing is abandoned while the console runs."""
    deadline = time.monotonic() + grace
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join(max(0.0, deadline - time.monotonic()))
    main = threading.main_thread()
    if any(t.is_alive() and not t.daemon and t is not main for t in threading.enumerate()):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
