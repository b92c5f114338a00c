"""One list of keys: the config's reserved keys are the main screen's own bindings, help reads
them with readable names, grouped by screen; the command line's JSON survives a closed pipe."""

from __future__ import annotations

import subprocess
import sys

from textual.binding import Binding

from limen_tui.fleet.registry import APP_KEYS, RESERVED_KEYS
from limen_tui.ui.keys import key_label
from limen_tui.ui.screens.help import HelpScreen
from limen_tui.ui.screens.main import MainScreen
from limen_tui.ui.screens.other_screens import help_keys

from .helpers import injected_app


def test_reserved_keys_are_exactly_the_main_screens_own_keys() -> None:
    own = {
        key.strip()
        for b in MainScreen.BINDINGS
        if isinstance(b, Binding) and b.id is None  # an id: an action [keys] may move
        for key in b.key.split(",")
    }
    assert set(RESERVED_KEYS) == own | set(APP_KEYS)


def test_key_names_read_as_keys() -> None:
    assert key_label("right_square_bracket") == "]"
    assert key_label("left_square_bracket") == "["
    assert key_label("space") == "Space"
    assert key_label("ctrl+p") == "Ctrl+P"
    assert key_label("question_mark") == "?"
    assert key_label("G,end") == "G End"


def test_help_is_grouped_by_screen_with_readable_keys() -> None:
    groups = dict(help_keys(MainScreen.BINDINGS, {"pause": "P"}))
    assert {"Main screen", "A log pane (it has the focus)", "Command line (:)"} <= set(groups)
    main = dict(groups["Main screen"])
    assert main["]"] == "Next host" and main["["] == "Previous host"
    on_vms = dict(groups["On the selected or marked VMs (the table has the focus)"])
    assert on_vms["Space"] == "Mark" and on_vms["P"] == "Pause/resume"
    assert not any("square_bracket" in k for rows in groups.values() for k, _ in rows)


async def test_the_help_screen_opens_from_question_mark() -> None:
    app = injected_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.groups[0][0] == "Main screen"


def test_json_into_a_closed_pipe_ends_quietly() -> None:
    out = subprocess.run(
        f"{sys.executable} -m limen_tui list --demo --json | head -1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
        executable="/bin/bash",
    )
    assert out.stdout == "[\n"
    assert "Traceback" not in out.stderr and "BrokenPipe" not in out.stderr, out.stderr


def test_numbers_on_the_command_line_are_finite_and_sane() -> None:
    for args in (["--interval", "nan"], ["--interval", "0.001"], ["--timeout", "inf"]):
        out = subprocess.run(
            [sys.executable, "-m", "limen_tui", "--demo", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 2 and "limen-tui: --" in out.stderr, (args, out.stderr)
    out = subprocess.run(
        [sys.executable, "-m", "limen_tui", "list", "--demo", "--interval", "nan"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "finite" in out.stderr and "Traceback" not in out.stderr
