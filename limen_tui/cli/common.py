"""What every subcommand shares: the URI options, choosing hosts, saying which failed."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Collection
from pathlib import Path

from limen_tui.config import file as config_file
from limen_tui.config.settings import Settings
from limen_tui.demo import demo_uri
from limen_tui.fleet.registry import DEFAULT_KEYS, RESERVED_KEYS
from limen_tui.store.cache import DEFAULT_TTLS

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


def report_unreachable(failures: list[tuple[str, str]]) -> None:
    for uri, reason in failures:
        print(f"limen-tui: cannot connect to {uri or 'the default URI'}: {reason}", file=sys.stderr)
    print(
        "limen-tui: check the URI and that libvirtd is running there, "
        "or try the demo hypervisor: limen-tui --demo",
        file=sys.stderr,
    )


def load_config(
    path: Path | None, *, themes: Collection[str] | None = None
) -> config_file.FileConfig:
    """The config file, checked against the action registry and the built-in keys (and the
    console's themes, when the caller has them: they live in the UI layer)."""
    return config_file.load(
        path,
        required=path is not None,
        bindings=DEFAULT_KEYS,
        reserved=RESERVED_KEYS,  # the main screen's own keys, from the same registry
        cache_kinds=DEFAULT_TTLS,
        themes=themes,
    )
