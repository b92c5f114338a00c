"""Write SVG screenshots of every screen of the demo console to screenshots/.

Every screen at 120x40 (screenshots/<screen>-120x40.svg) and the main screen at 80x24, drawn
from the same scenes as the snapshot tests (tests/ui/scenes.py: one real tick of the demo,
pollers off, the clock pinned), so the pictures in the README are the ones the tests check.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from limen_tui.config.settings import Settings  # noqa: E402
from limen_tui.ui.themes import MONO  # noqa: E402
from tests.ui.device_scenes import DEVICE_SCENES  # noqa: E402
from tests.ui.helpers import injected_app  # noqa: E402
from tests.ui.scenes import SCENES, Scene  # noqa: E402

SCENES = {**SCENES, **DEVICE_SCENES}


async def shoot(scene: Scene, size: tuple[int, int], theme: str | None = None) -> str:
    app = injected_app(Settings(theme=theme))
    async with app.run_test(size=size) as pilot:
        await scene(pilot)
        await pilot.pause(0.2)
        return app.export_screenshot(title="limen-tui --demo")


def main() -> None:
    os.environ["TZ"] = "UTC"
    time.tzset()
    folder = ROOT / "screenshots"
    folder.mkdir(exist_ok=True)
    shots = [(name, (120, 40)) for name in SCENES] + [("main", (80, 24))]
    with tempfile.TemporaryDirectory() as state:  # the operator's saved layout stays out
        os.environ["XDG_STATE_HOME"] = state
        for name, (w, h) in shots:
            path = folder / f"{name}-{w}x{h}.svg"
            path.write_text(asyncio.run(shoot(SCENES[name], (w, h))), encoding="utf-8")
            print(path.relative_to(ROOT))
        mono = folder / "main-mono-120x40.svg"  # the monochrome theme (and NO_COLOR's look)
        mono.write_text(asyncio.run(shoot(SCENES["main"], (120, 40), MONO)), encoding="utf-8")
        print(mono.relative_to(ROOT))


if __name__ == "__main__":
    main()
