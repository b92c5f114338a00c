"""The [console] and [cache] sections: the console's own settings, over their defaults.

[console]
refresh_interval = 2.0          # seconds between two stats refreshes per host
call_timeout = 10.0             # seconds a libvirt call may take before the host is stale
connect_timeout = 15.0
shutdown_timeout = 60.0
confirm_timeout = 30.0
bulk_concurrency = 5            # actions of one bulk run in flight at once
evacuate_concurrency = 2        # migrations of one evacuation in flight at once
event_log_lines = 1000
readonly = false
audit_retention_days = 90       # absent: keep every audit record
noisy_threshold_pct = 50        # a VM above this share of the host's CPU ...
noisy_hold_s = 60               # ... for this long is a noisy neighbour (logged once)
noisy_clear_samples = 3         # quiet ticks in a row that end the episode
self_cost_budget_pct = 2        # the console's own CPU (% of a core) before it refreshes slower
self_cost_window_s = 30         # ... averaged over this many seconds
theme = "limen-mono"            # the theme it starts in (absent: the last `:theme` chosen)

[cache]
max_mb = 100
history_retention_s = 3600
[cache.ttl]                     # seconds per kind of cached data
domain_xml = 300

The kinds of cached data belong to the store, and the themes to the UI, which config must
not import: the command line hands them in, and without them a [cache.ttl] kind is only
checked for its number and a theme for being a name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from typing import Any

from limen_tui.config.bounds import CACHE_BOUNDS, CACHE_TTL, CONSOLE_BOUNDS
from limen_tui.config.settings import Settings
from limen_tui.config.toml_source import Section

CONSOLE_FLAGS = ("readonly",)
CONSOLE_KEYS = (*CONSOLE_BOUNDS, *CONSOLE_FLAGS, "theme")
CACHE_KEYS = (*CACHE_BOUNDS, "ttl")
_CACHE_FIELDS = {"max_mb": "cache_max_mb", "history_retention_s": "history_retention_s"}


def read_settings(
    root: Section,
    *,
    cache_kinds: Collection[str] | None = None,
    themes: Collection[str] | None = None,
) -> Settings:
    """The defaults with what [console] and [cache] change; the first mistake raises."""
    changes: dict[str, Any] = {}
    console = root.section("console")
    console.check_keys(CONSOLE_KEYS)
    for key, bounds in CONSOLE_BOUNDS.items():
        value = console.count(key, bounds) if bounds.whole else console.number(key, bounds)
        if value is not None:
            changes[key] = value
    for key in CONSOLE_FLAGS:
        flag = console.flag(key)
        if flag is not None:
            changes[key] = flag
    theme = console.choice("theme", themes, noun="theme")
    if theme is not None:
        changes["theme"] = theme
    cache = root.section("cache")
    cache.check_keys(CACHE_KEYS)
    for key, bounds in CACHE_BOUNDS.items():
        number = cache.number(key, bounds)
        if number is not None:
            changes[_CACHE_FIELDS[key]] = number
    if "ttl" in cache.values:
        ttl = cache.section("ttl", shape="a [cache.ttl] table of seconds per kind")
        if cache_kinds is not None:
            ttl.check_keys(cache_kinds, noun="kind")
        changes["cache_ttls"] = {kind: ttl.number(kind, CACHE_TTL) for kind in ttl.values}
    return dataclasses.replace(Settings(), **changes)
