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
from limen_tui.demo import demo_uri
from limen_tui.fleet.demo_activity import DemoActivity
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


FIGURES = (
    "cpu_pct",
    "cpu_host_pct",
    "mem_used_kib",
    "disk_rd_bps",
    "disk_wr_bps",
    "disk_rd_iops",
    "disk_wr_iops",
    "net_rx_bps",
    "net_tx_bps",
    "steal_pct",
    "disk_latency_ms",
    "net_pps",
    "net_drops_ps",
)
"""The figures a demo makes up (everything else of a row is the test driver's own word)."""

MADE_UP_NOTE = (
    "limen-tui list: DEMO: the test driver reports no counters; CPU, memory used, disk and "
    'network figures are made up by the demo ("made_up": true in --json), not measured'
)


def demo_rows(rows: list[DomainRow]) -> list[DomainRow]:
    """The demo's rows as the console's demo table shows them: made-up figures on running
    VMs, each such row marked `made_up`. Only for the demo's own test driver."""
    figures = {r.uuid: r for r in DemoActivity().counters(rows, time.monotonic())}
    return [figures.get(r.uuid, r) for r in rows]


def row_json(row: DomainRow, measured: DomainRow | None = None) -> dict[str, object]:
    """A row for --json; a made-up row names the figures that are the demo's, not measured
    (`measured`: the same row as the driver gave it)."""
    out: dict[str, object] = {**asdict(row), "state": row.state.value}
    if row.made_up:
        before = asdict(measured) if measured is not None else {}
        out["made_up_fields"] = [
            f for f in FIGURES if getattr(row, f) is not None and before.get(f) != getattr(row, f)
        ]
    return out


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
    measured: dict[tuple[str, str], DomainRow] = {}
    failures: list[tuple[str, str]] = []
    for uri in chosen_uris(args):
        try:
            found = sample_rows(uri, args.interval, args.readonly)
        except ConnectError as exc:
            failures.append((uri, exc.reason))
            continue
        if args.demo and uri == demo_uri() and DemoActivity.allowed(uri):
            measured.update((r.key, r) for r in found)
            found = demo_rows(found)
        rows += found
    if failures:
        report_unreachable(failures)
    if any(r.made_up for r in rows):
        print(MADE_UP_NOTE, file=sys.stderr)
    if args.json:
        out = [row_json(r, measured.get(r.key)) for r in rows]
        json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        print(format_table(rows))
    return EXIT_UNREACHABLE if failures and not rows else (1 if failures else 0)
