"""VM names an attacker (or a careless colleague) could give, for injection tests.

libvirt refuses '/' in a name, so the payloads reach /tmp without one: `cd` goes home,
`cd ..` to /, `cd tmp` to /tmp. If any shell ever ran one, /tmp/<marker> would exist.
"""

from __future__ import annotations

import secrets
from pathlib import Path


def hostile_name() -> tuple[str, Path]:
    """(a VM name full of shell syntax, the /tmp file it would create if obeyed)."""
    marker = f"pwned-{secrets.token_hex(6)}"
    go = f"cd;cd ..;cd tmp;touch {marker}"
    name = f"vm 'single' \"double\" $({go}) `{go}` ;{go};# & | > <"
    assert "/" not in name
    return name, Path("/tmp") / marker
