"""The config file: what works, and every mistake named by file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from limen_tui.config.file import ConfigError, load

# What the layers above config know; config is handed them, never imports them.
BINDINGS = {"start": "o", "shutdown": "h", "pause": "p", "delete": "D"}
RESERVED = {"q": "Quit", "slash": "Filter", "question_mark": "Help"}
CACHE_KINDS = ("domain_xml", "fleet")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def refusal(tmp_path: Path, text: str) -> str:
    """The sentence the operator reads for a config file holding `text`."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load(path, required=True, bindings=BINDINGS, reserved=RESERVED, cache_kinds=CACHE_KINDS)
    return str(caught.value).replace(str(path), "config.toml")


def test_settings_and_keys_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[console]\nrefresh_interval = 5\nreadonly = true\n[keys]\nstart = "ctrl+o"\n'
    )
    config = load(path, required=True)
    assert config.settings.refresh_interval == 5.0 and config.settings.readonly
    assert config.keymap == {"start": "ctrl+o"}


def test_the_self_cost_budget_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, "[console]\nself_cost_budget_pct = 0.5\nself_cost_window_s = 60\n")
    settings = load(path, required=True).settings
    assert settings.self_cost_budget_pct == 0.5 and settings.self_cost_window_s == 60.0
    assert load(tmp_path / "absent.toml", required=False).settings.self_cost_budget_pct == 2.0


def test_missing_default_file_is_fine_but_a_named_one_is_not(tmp_path: Path) -> None:
    assert load(tmp_path / "nope.toml", required=False).keymap == {}
    with pytest.raises(ConfigError, match="no such file"):
        load(tmp_path / "nope.toml", required=True)


@pytest.mark.parametrize(
    "text, words",
    [
        ("[console]\nrefresh_interval = = 2\n", ["config.toml", "line 2"]),
        ("[console]\nrefresh = 2\n", ["config.toml, line 2", "'refresh'", "[console]"]),
        ("[consol]\n", ["line 1", "'consol'"]),
        ("[console]\nbulk_concurrency = 'five'\n", ["line 2", "bulk_concurrency must be int"]),
        ("[console]\nrefresh_interval = 0\n", ["more than 0"]),
        ("\n[keys]\nstrat = 'o'\n", ["line 3", "unknown action 'strat'"]),
        ("[keys]\nstart = 'h'\n", ["'h' is given to both"]),
        ("[cache]\nmax_mb = -1\n", ["line 2", "max_mb must be a number more than 0"]),
        ("[cache]\nsize = 5\n", ["line 2", "unknown key 'size' in [cache]"]),
        ("[cache.ttl]\ndomain_xlm = 5\n", ["line 2", "unknown kind 'domain_xlm'"]),
    ],
)
def test_mistakes_name_the_file_line_and_key(tmp_path: Path, text: str, words: list[str]) -> None:
    message = refusal(tmp_path, text)
    for word in words:
        assert word in message


def test_cache_section(tmp_path: Path) -> None:
    path = write(
        tmp_path, "[cache]\nmax_mb = 20\nhistory_retention_s = 600\n[cache.ttl]\ndomain_xml = 30\n"
    )
    settings = load(path, required=True).settings
    assert settings.cache_max_mb == 20.0 and settings.history_retention_s == 600.0
    assert settings.cache_ttls == {"domain_xml": 30.0}


@pytest.mark.parametrize(
    "text, sentence",
    [
        (
            "[console]\nrefresh_intervall = 2\n",
            "config.toml, line 2: unknown key 'refresh_intervall' in [console]; "
            "did you mean 'refresh_interval'?",
        ),
        (
            "[console]\nreadonly = true\n\n[consol]\n",
            "config.toml, line 4: unknown section 'consol'; did you mean 'console'?",
        ),
        (
            "[cache]\nmax_mbb = 5\n",
            "config.toml, line 2: unknown key 'max_mbb' in [cache]; did you mean 'max_mb'?",
        ),
        (
            "[cache]\nmax_mb = 5\n[cache.ttl]\nfleet = 60\ndomain_xlm = 5\n",
            "config.toml, line 5: unknown kind 'domain_xlm' in [cache.ttl]; "
            "did you mean 'domain_xml'?",
        ),
        (
            "[keys]\nstart = 'o'\nshutdwon = 'x'\n",
            "config.toml, line 3: unknown action 'shutdwon' in [keys]; did you mean 'shutdown'?",
        ),
        (
            "[keys]\nfly = 'x'\n",
            "config.toml, line 2: unknown action 'fly' in [keys] "
            "(known: delete, pause, shutdown, start)",
        ),
    ],
)
def test_an_unknown_key_is_named_with_the_nearest_known_one(
    tmp_path: Path, text: str, sentence: str
) -> None:
    assert refusal(tmp_path, text) == sentence


@pytest.mark.parametrize(
    "text, sentence",
    [
        (
            "[console]\nreadonly = 'yes'\n",
            "config.toml, line 2: readonly must be true or false, not 'yes'",
        ),
        (
            "[console]\nrefresh_interval = '2'\n",
            "config.toml, line 2: refresh_interval must be a number, not '2'",
        ),
        (
            "[console]\nevent_log_lines = 1.5\n",
            "config.toml, line 2: event_log_lines must be int (a whole number), not 1.5",
        ),
        ("console = 3\n", "config.toml, line 1: console must be a [console] table"),
        (
            "[cache]\nttl = 5\n",
            "config.toml, line 2: ttl must be a [cache.ttl] table of seconds per kind",
        ),
        ("[keys]\nstart = 5\n", 'config.toml, line 2: start must be a key name such as "o"'),
    ],
)
def test_a_value_of_the_wrong_type_is_refused(tmp_path: Path, text: str, sentence: str) -> None:
    assert refusal(tmp_path, text) == sentence


@pytest.mark.parametrize(
    "text, sentence",
    [
        (
            "[console]\nrefresh_interval = nan\n",
            "config.toml, line 2: refresh_interval must be a finite number, not nan",
        ),
        (
            "[console]\nrefresh_interval = inf\n",
            "config.toml, line 2: refresh_interval must be a finite number, not inf",
        ),
        (
            "[console]\nrefresh_interval = 0.001\n",
            "config.toml, line 2: refresh_interval must be at least 0.1 seconds, not 0.001",
        ),
        (
            "[console]\ncall_timeout = 1e9\n",
            "config.toml, line 2: call_timeout must be at most 600 seconds, not 1e+09",
        ),
        (
            "[console]\nevent_log_lines = 5\n",
            "config.toml, line 2: event_log_lines must be 10 or more, not 5",
        ),
        (
            "[console]\nbulk_concurrency = 1000\n",
            "config.toml, line 2: bulk_concurrency must be at most 64, not 1000",
        ),
        (
            "[console]\nself_cost_budget_pct = 0\n",
            "config.toml, line 2: self_cost_budget_pct must be a number more than 0 "
            "(at least 0.0001%), not 0",
        ),
        (
            "[console]\nself_cost_window_s = 0.5\n",
            "config.toml, line 2: self_cost_window_s must be at least 1 second, not 0.5",
        ),
        (
            "[cache]\nmax_mb = -inf\n",
            "config.toml, line 2: max_mb must be a finite number, not -inf",
        ),
        (
            "[cache]\nhistory_retention_s = 5\n",
            "config.toml, line 2: history_retention_s must be at least 60 seconds, not 5",
        ),
        (
            "[cache.ttl]\nfleet = nan\n",
            "config.toml, line 2: fleet must be a finite number, not nan",
        ),
    ],
)
def test_a_number_must_be_finite_and_sane(tmp_path: Path, text: str, sentence: str) -> None:
    assert refusal(tmp_path, text) == sentence


def test_a_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    assert refusal(tmp_path, '[console]\nreadonly = true\nrefresh_interval = "2\n') == (
        "config.toml, line 3: not valid TOML: Illegal character '\\n' (column 22)"
    )


THEMES = ("textual-dark", "nord", "limen-mono", "limen-light")


def test_the_theme_is_read_and_checked_against_the_themes_handed_in(tmp_path: Path) -> None:
    path = write(tmp_path, '[console]\ntheme = "limen-mono"\n')
    assert load(path, required=True, themes=THEMES).settings.theme == "limen-mono"
    assert load(write(tmp_path, "[console]\n"), required=True).settings.theme is None


@pytest.mark.parametrize(
    "text, sentence",
    [
        (
            '[console]\nrefresh_interval = 2\ntheme = "limen-mnoo"\n',
            "config.toml, line 3: unknown theme 'limen-mnoo'; did you mean 'limen-mono'?",
        ),
        (
            '[console]\ntheme = "zzz"\n',
            "config.toml, line 2: unknown theme 'zzz' "
            "(known: textual-dark, nord, limen-mono, limen-light)",
        ),
        ("[console]\ntheme = 3\n", "config.toml, line 2: theme must be a name in quotes, not 3"),
        ('[console]\ntheme = ""\n', "config.toml, line 2: theme must be a name in quotes, not ''"),
        (
            '[console]\ntheeme = "nord"\n',
            "config.toml, line 2: unknown key 'theeme' in [console]; did you mean 'theme'?",
        ),
    ],
)
def test_a_wrong_theme_is_refused_with_the_nearest_name(
    tmp_path: Path, text: str, sentence: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load(path, required=True, themes=THEMES)
    assert str(caught.value).replace(str(path), "config.toml") == sentence


def test_without_the_themes_any_name_passes_the_shape_check(tmp_path: Path) -> None:
    path = write(tmp_path, '[console]\ntheme = "anything"\n')
    assert load(path, required=True).settings.theme == "anything"
