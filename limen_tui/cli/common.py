"""What every subcommand shares: the URI options, choosing and probing hosts, the exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from limen_tui.config.settings import Settings
from limen_tui.demo import demo_uri
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.connection import ConnectError, close_quietly, open_connection
from limen_tui.virt.eventloop import ensure_event_loop

EXIT_UNREACHABLE = 2
DEFAULTS = Settings()


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c",
        "--connect",
        metavar="URI",
        action="append",
        default=[],
        help="libvirt URI of a host to watch; repeat for several hosts "
        "(default: $LIBVIRT_DEFAULT_URI, else libvirt's default)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="use the demo hypervisor shipped with limen-tui (libvirt's test driver)",
    )
    parser.add_argument(
        "--readonly", action="store_true", help="open libvirt read-only; nothing can be changed"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"how long to wait for a host to answer (default {DEFAULTS.connect_timeout:g})",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="PATH",
        help="config file (default: $XDG_CONFIG_HOME/limen-tui/config.toml, if it exists)",
    )


def chosen_uris(args: argparse.Namespace, config_uris: list[str] | None = None) -> list[str]:
    if args.demo:
        return [demo_uri(), *args.connect]
    if args.connect:
        return list(dict.fromkeys(args.connect))
    if config_uris:
        return config_uris
    env = os.environ.get("LIBVIRT_DEFAULT_URI")
    return [env] if env else [""]


def probe(uri: str, readonly: bool, limit: float) -> tuple[str, str | None]:
    """Open and close `uri`; returns (the URI libvirt resolved, error or None)."""

    def attempt() -> str:
        conn = open_connection(uri, readonly=readonly, calls=CallCounter(), on_close=lambda _: None)
        try:
            return str(conn.getURI())
        finally:
            close_quietly(conn)

    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(attempt).result(timeout=limit), None
    except ConnectError as exc:
        return uri, exc.reason
    except FutureTimeout:
        return uri, f"no answer within {limit:.0f}s"
    finally:
        pool.shutdown(wait=False)


def report_unreachable(failures: list[tuple[str, str]]) -> None:
    for uri, reason in failures:
        print(f"limen-tui: cannot connect to {uri or 'the default URI'}: {reason}", file=sys.stderr)
    print(
        "limen-tui: check the URI and that libvirtd is running there, "
        "or try the demo hypervisor: limen-tui --demo",
        file=sys.stderr,
    )


def resolve(
    args: argparse.Namespace, config_uris: list[str] | None = None
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """({URI libvirt answered as: URI asked for}, [(URI, why it failed)])."""
    ensure_event_loop()
    resolved: dict[str, str] = {}
    failures: list[tuple[str, str]] = []
    for uri in chosen_uris(args, config_uris):
        real, error = probe(uri, args.readonly, args.timeout)
        if error is None:
            resolved.setdefault(real, uri)
        else:
            failures.append((uri, error))
    return resolved, failures
