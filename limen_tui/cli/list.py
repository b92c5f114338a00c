"""`limen-tui list`: every VM once, with rates measured over an interval, for scripts."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict

from limen_tui.cli.common import (
    DEFAULTS,
    EXIT_UNREACHABLE,
    add_common_options,
    chosen_uris,
    report_unreachable,
)
from limen_tui.config.bounds import CONSOLE_BOUNDS, Bounds, check_number
from limen_tui.logs.clean import escape_controls
from limen_tui.model import DomainRow, human_bytes
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.collector import DomainCollector
from limen_tui.virt.connection import ConnectError, close_quietly, open_connection, read_facts
from limen_tui.virt.eventloop import ensure_event_loop

LIST_INTERVAL = Bounds(0.0, 3600, "seconds")
"""0: one reading, no rates; NaN and infinity are refused as everywhere (config/bounds.py)."""


def list_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="limen-tui list",
        description="Print every VM once, with rates measured over --interval seconds.",
    )
    add_common_options(parser)
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.add_argument(
        "--interval",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="seconds between the two samples the rates come from (default %(default)s)",
    )
    return parser


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
    for option, value, bounds in (
        ("--interval", args.interval, LIST_INTERVAL),
        ("--timeout", args.timeout, CONSOLE_BOUNDS["connect_timeout"]),
    ):
        reason = None if value is None else check_number(value, bounds)
        if reason is not None:
            print(f"limen-tui list: {option}: {reason}", file=sys.stderr)
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
        report_unreachable(failures)
    if args.json:
        out = [{**asdict(r), "state": r.state.value} for r in rows]
        json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        print(format_table(rows))
    return EXIT_UNREACHABLE if failures and not rows else (1 if failures else 0)
