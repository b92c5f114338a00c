"""Regenerate the shipped demo fleet, limen_tui/demo/fleet.xml.

python scripts/gen_demo_fleet.py            # rewrite the shipped file
python scripts/gen_demo_fleet.py --check    # exit 1 if it is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from limen_tui.demo import DEMO_DOMAINS, fleet_path, fleet_xml, write_fleet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only report whether it is stale")
    args = parser.parse_args(argv)
    path = fleet_path()
    if args.check:
        current = path.read_text(encoding="ascii") if path.exists() else ""
        if current != fleet_xml(DEMO_DOMAINS):
            print(f"{path} is stale; run {Path(__file__).name}", file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    write_fleet(path, DEMO_DOMAINS)
    print(f"wrote {path} ({DEMO_DOMAINS} domains)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
