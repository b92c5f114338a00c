"""Write SVG screenshots of the demo console to screenshots/ (80x24 and 120x40)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.ui.helpers import inject, injected_app  # noqa: E402


async def shoot(size: tuple[int, int]) -> str:
    app = injected_app()
    async with app.run_test(size=size) as pilot:
        await inject(app)
        await pilot.pause()
        return app.export_screenshot(title="limen-tui --demo")


def main() -> None:
    folder = ROOT / "screenshots"
    folder.mkdir(exist_ok=True)
    for w, h in ((80, 24), (120, 40)):
        path = folder / f"demo-{w}x{h}.svg"
        path.write_text(asyncio.run(shoot((w, h))))
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
