"""The composition root: the fleet built from the options and the config file, handed to the app.

The command line and the tests build the console the same way, through `make_app`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from limen_tui.config.hosts import HostsConfig
from limen_tui.config.settings import Settings
from limen_tui.fleet.demo_activity import DemoActivity
from limen_tui.fleet.fleet import Fleet, HostPlan, is_local_uri
from limen_tui.fleet.operations import audit_to
from limen_tui.logs.own_log import OwnLog
from limen_tui.store.audit import AuditLog
from limen_tui.store.cache import Cache
from limen_tui.store.history import MetricHistory
from limen_tui.ui.app import LimenApp


def host_plans(
    uris: Sequence[str],
    *,
    demo: bool = False,
    hosts_config: HostsConfig | None = None,
    names: Mapping[str, str] | None = None,
    health: bool = False,
    demo_activity: bool = False,
) -> list[HostPlan]:
    """One plan per URI: its name, SSH target and health from the config file's [[hosts]].

    Without [[hosts]], health is sampled for the first URI served on this machine (not the
    test driver): the console's own host.
    """
    entries = {e.uri: e for e in hosts_config.hosts} if hosts_config is not None else {}
    names = names or {}
    plans: list[HostPlan] = []
    for i, uri in enumerate(dict.fromkeys(uris)):
        entry = entries.get(uri)
        plans.append(
            HostPlan(
                uri,
                name=entry.name if entry is not None else names.get(uri),
                demo=demo and i == 0,
                ssh=entry.ssh if entry is not None else None,
                health=health and entry is not None and entry.health,
                activity=demo_activity and DemoActivity.allowed(uri),
            )
        )
    if health and not entries:
        local = next(
            (
                i
                for i, p in enumerate(plans)
                if is_local_uri(p.uri) and not p.uri.startswith("test")
            ),
            None,
        )
        if local is not None:
            plans[local] = HostPlan(plans[local].uri, plans[local].name, health=True)
    return plans


def make_fleet(
    uris: Sequence[str],
    settings: Settings,
    *,
    demo: bool = False,
    audit: AuditLog | None = None,
    cache: Cache | None = None,
    hosts_config: HostsConfig | None = None,
    names: Mapping[str, str] | None = None,
    health: bool = False,
    demo_activity: bool = False,
    stretch_refresh: bool = False,
) -> Fleet:
    history = (
        MetricHistory(cache.file, retention_s=settings.history_retention_s)
        if cache is not None
        else None
    )
    return Fleet(
        host_plans(
            uris,
            demo=demo,
            hosts_config=hosts_config,
            names=names,
            health=health,
            demo_activity=demo_activity,
        ),
        None,
        settings,
        cache=cache,
        history=history,
        audit=audit_to(audit if audit is not None else AuditLog()),
        health=hosts_config.health if hosts_config is not None else None,
        ssh=hosts_config.ssh if hosts_config is not None else None,
        stretch_refresh=stretch_refresh,
    )


def make_app(
    uris: Sequence[str],
    settings: Settings | None = None,
    *,
    demo: bool = False,
    start_fleet: bool = True,
    keymap: dict[str, str] | None = None,
    audit: AuditLog | None = None,
    cache: Cache | None = None,
    hosts_config: HostsConfig | None = None,
    names: Mapping[str, str] | None = None,
    health: bool = False,
    own_log: OwnLog | None = None,
    end_if_unreachable: bool = False,
    demo_activity: bool = False,
    stretch_refresh: bool = False,
) -> LimenApp:
    """The console on these hosts; `start_fleet=False` gives a console with no hosts, for
    tests that inject what the fleet would have said."""
    settings = settings or Settings()
    fleet = (
        make_fleet(
            uris,
            settings,
            demo=demo,
            audit=audit,
            cache=cache,
            hosts_config=hosts_config,
            names=names,
            health=health,
            demo_activity=demo_activity,
            stretch_refresh=stretch_refresh,
        )
        if start_fleet
        else None
    )
    if fleet is not None:
        fleet.read_ahead()
    return LimenApp(
        fleet,
        settings,
        demo=demo,
        keymap=keymap,
        own_log=own_log,
        cache=cache,
        end_if_unreachable=end_if_unreachable,
    )
