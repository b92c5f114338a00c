"""The `limen-tui` command: the console, and `list` for scripts."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict, replace
from pathlib import Path

from limen_tui import __version__, config_file
from limen_tui.config import Settings
from limen_tui.logs.clean import escape_controls
from limen_tui.model import DomainRow
from limen_tui.units import human_bytes
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.collector import DomainCollector
from limen_tui.virt.connection import ConnectError, close_quietly, open_connection, read_facts
from limen_tui.virt.eventloop import ensure_event_loop

EXIT_UNREACHABLE = 2
DEFAULTS = Settings()


def demo_uri() -> str:
    from limen_tui.demo import fleet_path

    return "test://" + str(fleet_path().resolve())


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c",
        "--connect",
        metavar="URI",
        action="append",
        default=[],
        help="libvirt URI of a host to watch; repeat for several hosts "
        "(default: $LIBVIRT_DEFAULT_URI, else libvirt's default)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="use the demo hypervisor shipped with limen-tui (libvirt's test driver)",
    )
    parser.add_argument(
        "--readonly", action="store_true", help="open libvirt read-only; nothing can be changed"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"how long to wait for a host to answer (default {DEFAULTS.connect_timeout:g})",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="PATH",
        help="config file (default: $XDG_CONFIG_HOME/limen-tui/config.toml, if it exists)",
    )


def console_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="limen-tui",
        description="A keyboard-driven console for KVM/libvirt hosts. "
        "Subcommands: `limen-tui list` prints the VM table once, for scripts; "
        "`limen-tui audit` prints the audit log; `limen-tui health` every host's health; "
        "`limen-tui cache stats|clear`.",
    )
    parser.add_argument("--version", action="version", version=f"limen-tui {__version__}")
    _common(parser)
    parser.add_argument(
        "--interval",
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"seconds between two stats refreshes (default {DEFAULTS.refresh_interval:g})",
    )
    return parser


def list_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="limen-tui list",
        description="Print every VM once, with rates measured over --interval seconds.",
    )
    _common(parser)
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.add_argument(
        "--interval",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="seconds between the two samples the rates come from (default %(default)s)",
    )
    return parser


def chosen_uris(args: argparse.Namespace, config_uris: list[str] | None = None) -> list[str]:
    if args.demo:
        return [demo_uri(), *args.connect]
    if args.connect:
        return list(dict.fromkeys(args.connect))
    if config_uris:
        return config_uris
    env = os.environ.get("LIBVIRT_DEFAULT_URI")
    return [env] if env else [""]


def _probe(uri: str, readonly: bool, limit: float) -> tuple[str, str | None]:
    """Open and close `uri`; returns (the URI libvirt resolved, error or None)."""

    def attempt() -> str:
        conn = open_connection(uri, readonly=readonly, calls=CallCounter(), on_close=lambda _: None)
        try:
            return str(conn.getURI())
        finally:
            close_quietly(conn)

    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(attempt).result(timeout=limit), None
    except ConnectError as exc:
        return uri, exc.reason
    except FutureTimeout:
        return uri, f"no answer within {limit:.0f}s"
    finally:
        pool.shutdown(wait=False)


def _report_unreachable(failures: list[tuple[str, str]]) -> None:
    for uri, reason in failures:
        print(f"limen-tui: cannot connect to {uri or 'the default URI'}: {reason}", file=sys.stderr)
    print(
        "limen-tui: check the URI and that libvirtd is running there, "
        "or try the demo hypervisor: limen-tui --demo",
        file=sys.stderr,
    )


def _resolve(
    args: argparse.Namespace, config_uris: list[str] | None = None
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """({URI libvirt answered as: URI asked for}, [(URI, why it failed)])."""
    ensure_event_loop()
    resolved: dict[str, str] = {}
    failures: list[tuple[str, str]] = []
    for uri in chosen_uris(args, config_uris):
        real, error = _probe(uri, args.readonly, args.timeout)
        if error is None:
            resolved.setdefault(real, uri)
        else:
            failures.append((uri, error))
    return resolved, failures


def run_console(argv: Sequence[str]) -> int:
    args = console_parser().parse_args(argv)
    if args.interval is not None and args.interval <= 0:
        print("limen-tui: --interval must be more than 0 seconds", file=sys.stderr)
        return EXIT_UNREACHABLE
    try:
        file_config = config_file.load(args.config, required=args.config is not None)
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
    resolved, failures = _resolve(args, config_uris if not args.connect and not args.demo else None)
    uris = list(resolved)
    names = {real: by_uri[given] for real, given in resolved.items() if given in by_uri}
    names.update({uri: by_uri[uri] for uri, _ in failures if uri in by_uri})
    if not uris:
        _report_unreachable(failures)
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


# -- `limen-tui list` ------------------------------------------------------------------------


def sample_rows(uri: str, interval: float, readonly: bool) -> list[DomainRow]:
    """Two samples `interval` apart on one connection, so the rates are real."""
    calls = CallCounter()
    conn = open_connection(uri, readonly=readonly, calls=calls, on_close=lambda _: None)
    try:
        facts = read_facts(conn, calls)
        collector = DomainCollector(conn, str(conn.getURI()), facts.cpus, calls)
        first = collector.collect()
        rows = {r.uuid: r for r in first.changed}
        time.sleep(interval)  # deliberate: a rate needs two readings this far apart
        second = collector.collect()
        rows.update({r.uuid: r for r in second.changed})
        for uuid in second.removed:
            rows.pop(uuid, None)
        return sorted(rows.values(), key=lambda r: r.name.casefold())
    finally:
        close_quietly(conn)


def _num(v: float | None, unit: str = "") -> str:
    if v is None:
        return "n/a"
    return human_bytes(v) + unit


def format_table(rows: list[DomainRow]) -> str:
    head = (
        "NAME",
        "STATE",
        "VCPU",
        "CPU%",
        "MEM",
        "USED",
        "DISK-R/s",
        "DISK-W/s",
        "NET-RX/s",
        "NET-TX/s",
        "AUTOSTART",
        "HOST",
    )
    lines = [head]
    for r in rows:
        active = r.state.is_active

        def act(v: float | None, active: bool = active) -> str:
            return _num(v) if active else "-"

        lines.append(
            (
                escape_controls(r.name),
                r.state.value,
                "n/a" if r.vcpus is None else str(r.vcpus),
                ("n/a" if r.cpu_pct is None else f"{r.cpu_pct:.1f}") if active else "-",
                "n/a" if r.mem_current_kib is None else _num(r.mem_current_kib * 1024),
                act(None if r.mem_used_kib is None else r.mem_used_kib * 1024),
                act(r.disk_rd_bps),
                act(r.disk_wr_bps),
                act(r.net_rx_bps),
                act(r.net_tx_bps),
                "n/a" if r.autostart is None else ("yes" if r.autostart else "no"),
                r.host,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def run_list(argv: Sequence[str]) -> int:
    args = list_parser().parse_args(argv)
    if args.interval < 0:
        print("limen-tui list: --interval cannot be negative", file=sys.stderr)
        return EXIT_UNREACHABLE
    if args.timeout is None:
        args.timeout = DEFAULTS.connect_timeout
    ensure_event_loop()
    rows: list[DomainRow] = []
    failures: list[tuple[str, str]] = []
    for uri in chosen_uris(args):
        try:
            rows += sample_rows(uri, args.interval, args.readonly)
        except ConnectError as exc:
            failures.append((uri, exc.reason))
    if failures:
        _report_unreachable(failures)
    if args.json:
        out = [{**asdict(r), "state": r.state.value} for r in rows]
        json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        print(format_table(rows))
    return EXIT_UNREACHABLE if failures and not rows else (1 if failures else 0)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args[:1] == ["list"]:
            return run_list(args[1:])
        if args[:1] == ["health"]:
            from limen_tui.health_cli import run_health

            return run_health(args[1:])
        if args[:1] == ["cache"]:
            from limen_tui.cache_cli import run_cache

            return run_cache(args[1:])
        if args[:1] == ["audit"]:
            from limen_tui.audit_cli import run_audit

            return run_audit(args[1:])
        return run_console(args)
    except KeyboardInterrupt:
        return 130
