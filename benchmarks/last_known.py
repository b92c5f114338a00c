"""Benchmark: writing and reading the last known fleet at 10,000 VMs, before and after it was
kept row by row.

In the same run, on a real SQLite file:
  - before: the whole fleet as one JSON document (format 1: `asdict` per row, `Cache.put`),
    as every write did until now;
  - after: `Cache.update_items` of only the rows that changed (3, 1%, 10%, all), one VM
    deleted, the marker rewritten, as the store thread now does;
  - the reading at start: the one document and its rows, against the one query of every row;
  - the physical reference: the same 10,000 rows' JSON inserted with plain sqlite3
    `executemany` into a table with no index, trigger or cap (the floor of writing them).

Prints a table and one JSON line. Run: .venv/bin/python -m benchmarks.last_known
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from limen_tui.fleet.last_known import MARKER, fleet_from_items, marker_to_json, row_to_json
from limen_tui.model import DomainRow, HostFacts, PowerState
from limen_tui.store.cache import Cache

HOST = "hv1"
FACTS = HostFacts("hv1", "QEMU", "8.2.0", "9.0.0", "x86", 32, 2000, 256 << 20, 2, 2, 8, 2)


def fleet(n: int) -> dict[str, DomainRow]:
    rows = (
        DomainRow(
            HOST,
            f"6a5f{i:08x}-0000-4000-8000-{i:012x}",
            f"vm-{i:05d}",
            PowerState.RUNNING if i % 5 else PowerState.SHUTOFF,
            vcpus=2,
            cpu_pct=float(i % 97),
            cpu_host_pct=float(i % 13),
            mem_used_kib=1 << 20,
            mem_current_kib=2 << 20,
            mem_max_kib=2 << 20,
            disk_rd_bps=1234.5,
            disk_wr_bps=99.0,
            net_rx_bps=10.0,
            net_tx_bps=5.0,
            autostart=True,
            persistent=True,
        )
        for i in range(n)
    )
    return {r.uuid: r for r in rows}


def old_document(rows: list[DomainRow]) -> dict[str, Any]:
    """The format-1 document, exactly as `rows_to_json` made it."""
    return {"format": 1, "rows": [{**asdict(r), "state": r.state.name} for r in rows]}


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds of `repeat` calls."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vms", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    n, repeat = args.vms, args.repeat
    rows = fleet(n)
    uuids = list(rows)
    result: dict[str, Any] = {"benchmark": "last_known", "vms": n}

    with tempfile.TemporaryDirectory() as tmp:
        # The reference: the floor of writing n rows of this JSON into SQLite.
        texts = [(u, json.dumps(row_to_json(r), separators=(",", ":"))) for u, r in rows.items()]
        raw = sqlite3.connect(Path(tmp) / "raw.db", isolation_level=None)
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("CREATE TABLE t (k TEXT, v TEXT)")

        def raw_write() -> None:
            raw.execute("BEGIN")
            raw.executemany("INSERT INTO t VALUES (?, ?)", texts)
            raw.execute("COMMIT")

        result["reference_raw_insert_ms"] = timed(raw_write, repeat) * 1000
        raw.close()

        with Cache(Path(tmp) / "old.db") as old:
            listed = list(rows.values())

            def old_write() -> None:
                old.put("fleet", HOST, "", old_document(list(rows.values())))

            result["before_write_ms"] = timed(old_write, repeat) * 1000
            result["before_ui_loop_ms"] = timed(lambda: list(rows.values()), repeat) * 1000

            def old_read() -> None:
                entry = old.get("fleet", HOST)
                assert entry is not None
                assert (
                    len(
                        [
                            DomainRow(**{**d, "state": PowerState[d["state"]]})
                            for d in entry.value["rows"]
                        ]
                    )
                    == n
                )

            result["before_read_ms"] = timed(old_read, repeat) * 1000
            del listed

        with Cache(Path(tmp) / "new.db") as new:
            new.update_items(
                "fleet",
                HOST,
                {**{u: row_to_json(r) for u, r in rows.items()}, MARKER: marker_to_json(FACTS)},
                keep_only=uuids,
            )
            after: dict[str, float] = {}
            for changed_n in sorted({3, n // 100, n // 10, n}):
                step = max(1, n // changed_n)
                pct = 0.0

                def new_write(changed_n: int = changed_n, step: int = step) -> None:
                    nonlocal pct
                    pct += 1.0
                    changed = [
                        replace(rows[uuids[i * step]], cpu_pct=pct) for i in range(changed_n)
                    ]
                    values: dict[str, object] = {r.uuid: row_to_json(r) for r in changed}
                    values[MARKER] = marker_to_json(FACTS)
                    new.update_items("fleet", HOST, values, ["no-such-vm"])

                after[str(changed_n)] = timed(new_write, repeat) * 1000
            result["after_write_ms_by_changed_rows"] = after

            def new_read() -> None:
                entries = new.get_items("fleet", HOST)
                known = fleet_from_items({k: e.value for k, e in entries.items()})
                assert known is not None and len(known[0]) == n

            result["after_read_ms"] = timed(new_read, repeat) * 1000

    print(f"last known fleet of {n:,} VMs on a real SQLite file (median of {repeat})")
    print()
    lines = [
        ("reference: raw sqlite3 insert of every row", result["reference_raw_insert_ms"]),
        ("before: one document of every row, per write", result["before_write_ms"]),
        ("before: listing the rows on the UI loop, per write", result["before_ui_loop_ms"]),
        *((f"after: {int(k):,} changed rows, per write", ms) for k, ms in after.items()),
        ("before: read at start (one document)", result["before_read_ms"]),
        ("after: read at start (one query of every row)", result["after_read_ms"]),
    ]
    print(f"{'what':<52} {'ms':>9}")
    for label, ms in lines:
        print(f"{label:<52} {ms:9.2f}")
    print()
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
