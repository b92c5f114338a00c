"""The `limen-tui` command: dispatch to one module per subcommand.

Each is imported only when used (no import circle is dodged here): `limen-tui list | head` and
`limen-tui health` do not pay for loading Textual and the console.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

EXIT_PIPE_CLOSED = 141
"""128 + SIGPIPE: what `ls | head` reports for `ls`, so a pipefail script can tell."""


def main(argv: Sequence[str] | None = None) -> int:
    try:
        code = _dispatch(list(sys.argv[1:] if argv is None else argv))
        sys.stdout.flush()  # here, not at exit: a reader that left (| head) is seen now
        return code
    except BrokenPipeError:
        # The reader has what it wanted; say nothing, and keep Python's exit flush quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_PIPE_CLOSED


def _dispatch(args: list[str]) -> int:
    try:
        if args[:1] == ["list"]:
            from limen_tui.cli.list import run_list

            return run_list(args[1:])
        if args[:1] == ["health"]:
            from limen_tui.cli.health import run_health

            return run_health(args[1:])
        if args[:1] == ["cache"]:
            from limen_tui.cli.cache import run_cache

            return run_cache(args[1:])
        if args[:1] == ["audit"]:
            from limen_tui.cli.audit import run_audit

            return run_audit(args[1:])
        from limen_tui.cli.console import run_console

        return run_console(args)
    except KeyboardInterrupt:
        return 130
