"""`limen-tui audit`: the audit log for operators and scripts."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from limen_tui.logs.clean import escape_controls
from limen_tui.store.audit import AuditError, AuditLog

_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str, now: float | None = None) -> float:
    """`30m`, `2h`, `7d`, or a date/time such as `2026-11-22` or `2026-11-22T10:30`."""
    match = _RELATIVE.match(text.strip())
    if match:
        return (now if now is not None else time.time()) - float(match[1]) * _UNIT[match[2]]
    try:
        return datetime.fromisoformat(text.strip()).timestamp()
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time: use 30m, 2h, 7d or a date like 2026-11-22T10:30"
        ) from None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="limen-tui audit", description="Print the audit log.")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.add_argument(
        "--since",
        type=parse_since,
        default=None,
        metavar="WHEN",
        help="only records from then on: 30m, 2h, 7d or 2026-11-22T10:30",
    )
    p.add_argument("--file", type=Path, default=None, help="audit log file (default: XDG state)")
    return p


def _row_text(values: Sequence[str]) -> list[str]:
    return [escape_controls(v) for v in values]


def run_audit(argv: Sequence[str]) -> int:
    args = parser().parse_args(argv)
    log = AuditLog(args.file)
    try:
        records = log.query(since=args.since)
    except AuditError as exc:
        print(f"limen-tui audit: {exc}", file=sys.stderr)
        return 2
    finally:
        log.close()
    if args.json:
        json.dump(
            [{**asdict(r), "params": dict(r.params)} for r in records],
            sys.stdout,
            indent=2,
            ensure_ascii=False,
        )
        print()
        return 0
    head = ["TIME", "USER", "HOST", "VM", "ACTION", "OUTCOME", "TOOK", "ERROR", "PARAMS"]
    lines = [head]
    for r in records:
        params = {k: v for k, v in r.params.items() if k not in ("operation", "batch")}
        lines.append(
            _row_text(
                [
                    time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.time)),
                    r.user,
                    r.host,
                    r.vm or "-",
                    r.action,
                    r.outcome,
                    "-" if r.duration_s is None else f"{r.duration_s:.1f}s",
                    r.error or "",
                    json.dumps(params, ensure_ascii=False) if params else "",
                ]
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    for line in lines:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    return 0
