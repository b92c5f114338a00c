"""The command line refuses the numbers the config file refuses, with the same sentences."""

from __future__ import annotations

from pathlib import Path

import pytest

from limen_tui.cli.main import main


@pytest.fixture(autouse=True)
def no_config_at_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home-config"))


@pytest.mark.parametrize(
    ("argv", "sentence"),
    [
        (["--interval", "nan"], "limen-tui: --interval: must be a finite number, not nan"),
        (["--interval", "inf"], "limen-tui: --interval: must be a finite number, not inf"),
        (
            ["--interval", "0.001"],
            "limen-tui: --interval: must be at least 0.1 seconds, not 0.001",
        ),
        (
            ["--interval", "0"],
            "limen-tui: --interval: must be a number more than 0 (at least 0.1 seconds), not 0",
        ),
        (["--timeout", "nan"], "limen-tui: --timeout: must be a finite number, not nan"),
        (["--timeout", "1e6"], "limen-tui: --timeout: must be at most 600 seconds, not 1e+06"),
    ],
)
def test_a_bad_interval_or_timeout_exits_2_before_connecting(
    argv: list[str], sentence: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--connect", "test:///nowhere", *argv]) == 2
    assert capsys.readouterr().err.strip() == sentence


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("[keys]\nstart = 'q'\n", "line 2: [keys] start = 'q': q already means Quit"),
        (
            "[keys]\nstart = 'colon'\n",
            "line 2: [keys] start = 'colon': colon already means Command line",
        ),
        (
            "[keys]\nstrat = 'o'\n",
            "line 2: unknown action 'strat' in [keys]; did you mean 'start'?",
        ),
        ("[keys]\nstart = 'h'\n", "line 2: key 'h' is given to both shutdown (its default key)"),
        ("[console]\nrefresh_interval = nan\n", "line 2: refresh_interval must be a finite"),
    ],
)
@pytest.mark.parametrize("command", [[], ["health"]])
def test_the_commands_refuse_a_bad_config_file(
    tmp_path: Path, text: str, sentence: str, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    assert main([*command, "--config", str(path)]) == 2
    prog = " ".join(["limen-tui", *command])
    assert capsys.readouterr().err.startswith(f"{prog}: {path}, {sentence}")


def test_the_console_refuses_an_unknown_theme_naming_the_nearest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[console]\ntheme = "limen-mnoo"\n')
    assert main(["--config", str(path)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"limen-tui: {path}, line 2: unknown theme 'limen-mnoo'; did you mean 'limen-mono'?"
    )
