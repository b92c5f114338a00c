"""The last known fleet as the cache keeps it: one entry per row, keyed by host and uuid, and
one entry per host (item "") saying when the fleet was last written and the host's facts.

Kept row by row so that a tick writes only the rows that changed and deletes the ones that
went: at 10,000 VMs one JSON document of the whole fleet cost its full size on every write.
A row keeps what a restart can show as last known (name, state, vCPUs, memory size, flags,
address, tags, OS), not its figures (CPU, memory used, rates): those are of another time, and
with them every tick of a busy fleet rewrote every row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields
from operator import attrgetter
from typing import Any

from limen_tui.model import DomainRow, HostFacts, PowerState

FLEET_FORMAT = 3
"""1 was one document of every row; 2 a row per entry and this marker; 3 keeps no figures."""
MARKER = ""
"""The item of the host's marker entry (a VM's uuid is never empty)."""
KEPT_FIELDS = (
    "host",
    "uuid",
    "name",
    "state",
    "vcpus",
    "mem_max_kib",
    "autostart",
    "persistent",
    "made_up",
    "address",
    "address_source",
    "tags",
    "os",
)
"""What of a row the last known fleet keeps: every field of DomainRow but its figures."""
_STATE = KEPT_FIELDS.index("state")
_FACT_FIELDS = {f.name for f in fields(HostFacts)}
kept_values = attrgetter(*KEPT_FIELDS)
"""The kept fields of a row, as a tuple: two rows that differ only in figures give one."""


def last_known_row(row: DomainRow) -> DomainRow:
    """The row as a restart shows it: what is kept, no figures."""
    return DomainRow(**dict(zip(KEPT_FIELDS, kept_values(row), strict=True)))


def row_to_json(row: DomainRow) -> list[Any]:
    """The row's kept fields in order (their names are in the marker): a third of the size
    of an object with names, and quicker to read back at 10,000 rows."""
    values = list(kept_values(row))
    values[_STATE] = row.state.name
    return values


def row_from_json(values: object) -> DomainRow | None:
    """A saved row; anything malformed is None, not an error."""
    if not isinstance(values, list) or len(values) != len(KEPT_FIELDS):
        return None
    host, uuid, name, state, vcpus, mem_max, autostart, persistent, made_up, *rest = values
    address, address_source, tags, os = rest
    try:
        # Named one by one, not as a dict of KEPT_FIELDS: 10,000 rows are read at start.
        return DomainRow(
            host,
            uuid,
            name,
            PowerState[state],
            vcpus,
            mem_max_kib=mem_max,
            autostart=autostart,
            persistent=persistent,
            made_up=made_up,
            address=address,
            address_source=address_source,
            tags=tuple(tags),  # JSON has lists; a row's tags are a tuple
            os=os,
        )
    except (KeyError, TypeError):
        return None


def marker_to_json(facts: HostFacts | None) -> dict[str, Any]:
    return {
        "format": FLEET_FORMAT,
        "fields": list(KEPT_FIELDS),
        "facts": None if facts is None else asdict(facts),
    }


def facts_from_json(data: object) -> HostFacts | None:
    if not isinstance(data, dict) or set(data) != _FACT_FIELDS:
        return None
    try:
        return HostFacts(**data)
    except TypeError:
        return None


def fleet_from_items(items: Mapping[str, Any]) -> tuple[list[DomainRow], HostFacts | None] | None:
    """The rows and facts of a host's entries, or None without a marker of this format and
    these fields (an older file's single document, another version's rows, none saved)."""
    marker = items.get(MARKER)
    if not isinstance(marker, dict) or marker.get("format") != FLEET_FORMAT:
        return None
    if marker.get("fields") != list(KEPT_FIELDS):
        return None
    rows = [row_from_json(value) for item, value in items.items() if item != MARKER]
    return [r for r in rows if r is not None], facts_from_json(marker.get("facts"))
