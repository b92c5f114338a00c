"""`:export csv|json PATH`: the table as shown (its rows in order, its columns), every row.

Numbers are written in base units, in CSV as in JSON: bytes, bytes per second, percent as a
number; unknown is empty in CSV and null in JSON. A pair column (Disk r/w) writes two fields.
The file is written beside its final name and renamed into place, so a failed export leaves
no half-written file and an older file of that name untouched. No Textual here.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from limen_tui.model import DomainRow
from limen_tui.ui.columns import Column, Field

Format = Literal["csv", "json"]
FORMATS: tuple[Format, ...] = ("csv", "json")


class ExportError(Exception):
    """Why the file could not be written, in the operator's words."""


def fields_of(columns: Iterable[Column]) -> list[Field]:
    return [f for c in columns for f in c.fields]


def records(rows: Iterable[DomainRow], columns: Sequence[Column]) -> list[dict[str, Any]]:
    """One dict per row, fields in the columns' order, values in base units."""
    fields = fields_of(columns)
    return [{name: get(row) for name, get in fields} for row in rows]


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def render(kind: Format, rows: Iterable[DomainRow], columns: Sequence[Column]) -> str:
    found = records(rows, columns)
    if kind == "json":
        return json.dumps(found, indent=1, ensure_ascii=False) + "\n"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _ in fields_of(columns)])
    for record in found:
        writer.writerow([_csv_value(v) for v in record.values()])
    return out.getvalue()


def target(path: str) -> Path:
    """Where `path` points, or an ExportError saying why it cannot be written there."""
    if not path.strip():
        raise ExportError("export needs a file: :export csv ~/vms.csv")
    where = Path(path).expanduser()
    if where.is_dir():
        raise ExportError(f"{where} is a directory; name a file in it")
    if not where.parent.is_dir():
        raise ExportError(f"no directory {where.parent}")
    return where


def export(kind: Format, rows: Iterable[DomainRow], columns: Sequence[Column], path: str) -> Path:
    """Write the rows to `path` (blocking: run it off the UI loop); the file written."""
    where = target(path)
    text = render(kind, rows, columns)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{where.name}.", suffix=".tmp", dir=where.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, where)
        tmp = None
    except OSError as exc:
        raise ExportError(f"cannot write {where}: {exc.strerror or exc}") from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return where
