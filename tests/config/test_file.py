"""The config file: what works, and every mistake named by file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from limen_tui.config.file import ConfigError, load


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_settings_and_keys_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[console]\nrefresh_interval = 5\nreadonly = true\n[keys]\nstart = "ctrl+o"\n'
    )
    config = load(path, required=True)
    assert config.settings.refresh_interval == 5.0 and config.settings.readonly
    assert config.keymap == {"start": "ctrl+o"}


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
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, text), required=True)
    for word in words:
        assert word in str(caught.value)


def test_cache_section(tmp_path: Path) -> None:
    path = write(
        tmp_path, "[cache]\nmax_mb = 20\nhistory_retention_s = 600\n[cache.ttl]\ndomain_xml = 30\n"
    )
    settings = load(path, required=True).settings
    assert settings.cache_max_mb == 20.0 and settings.history_retention_s == 600.0
    assert settings.cache_ttls == {"domain_xml": 30.0}
