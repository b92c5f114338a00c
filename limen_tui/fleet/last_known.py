"""Rows and host facts to JSON and back, for the last known fleet kept in the cache."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from limen_tui.model import DomainRow, HostFacts, PowerState

FLEET_FORMAT = 1
_ROW_FIELDS = {f.name for f in fields(DomainRow)}
_FACT_FIELDS = {f.name for f in fields(HostFacts)}


def rows_to_json(rows: list[DomainRow]) -> dict[str, Any]:
    return {
        "format": FLEET_FORMAT,
        "rows": [{**asdict(r), "state": r.state.name} for r in rows],
    }


def rows_from_json(data: object) -> list[DomainRow]:
    """The rows of a saved fleet; anything malformed yields no rows rather than an error."""
    if not isinstance(data, dict) or data.get("format") != FLEET_FORMAT:
        return []
    out = []
    for item in data.get("rows", []):
        if not isinstance(item, dict) or set(item) != _ROW_FIELDS:
            continue
        try:
            state, tags = PowerState[item["state"]], tuple(item["tags"])
            out.append(DomainRow(**{**item, "state": state, "tags": tags}))
        except (KeyError, TypeError):
            continue
    return out


def facts_to_json(facts: HostFacts) -> dict[str, Any]:
    return asdict(facts)


def facts_from_json(data: object) -> HostFacts | None:
    if not isinstance(data, dict) or set(data) != _FACT_FIELDS:
        return None
    try:
        return HostFacts(**data)
    except TypeError:
        return None
