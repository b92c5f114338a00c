"""`limen-tui cache stats` and `limen-tui cache clear`, for operators."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from limen_tui.model import human_bytes
from limen_tui.store.cache import Cache, CacheStats


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="limen-tui cache", description="Look at or empty the local cache."
    )
    p.add_argument("what", choices=("stats", "clear"))
    p.add_argument("--json", action="store_true", help="stats as one JSON document")
    p.add_argument("--file", type=Path, default=None, help="cache file (default: XDG cache)")
    return p


def stats_lines(s: CacheStats, path: Path) -> list[str]:
    state = "on" if s.enabled else f"off: {s.reason}"
    return [
        f"cache file   {path}",
        f"state        {state}",
        f"entries      {s.entries}",
        f"size         {human_bytes(s.bytes)}B of {human_bytes(s.max_bytes)}B",
        f"hits         {s.hits}",
        f"misses       {s.misses}",
        f"hit ratio    {s.hit_ratio:.1%}",
        f"expired      {s.expired} (removed when a read or write met them)",
        f"evicted      {s.evicted} (least recently used, to stay under the cap)",
        f"writes       {s.writes}",
        f"invalidated  {s.invalidated}",
    ]


def run_cache(argv: Sequence[str]) -> int:
    args = parser().parse_args(argv)
    with Cache(args.file) as cache:
        path = cache.file.path
        if args.what == "clear":
            if not cache.enabled:
                print(f"limen-tui cache: {cache.reason}", file=sys.stderr)
                return 2
            print(f"removed {cache.clear()} entries from {path} (the audit log is kept)")
            return 0
        stats = cache.stats(cumulative=True)
        for warning in cache.warnings:
            print(f"limen-tui cache: {warning}", file=sys.stderr)
        if args.json:
            print(json.dumps({**asdict(stats), "hit_ratio": stats.hit_ratio, "file": str(path)}))
        else:
            print("\n".join(stats_lines(stats, Path(path))))
    return 0
