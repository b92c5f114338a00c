"""What the operator types into the pools, volumes and networks forms: sizes, names, MACs and
addresses, each bad one refused with a sentence that says what to write instead."""

from __future__ import annotations

import pytest

from limen_tui.model.networks import ip_problem, mac_problem
from limen_tui.model.storage import name_problem, parse_size, path_problem

GIB = 1024**3


@pytest.mark.parametrize(
    ("typed", "size"),
    [
        ("10G", 10 * GIB),
        ("10g", 10 * GIB),
        ("10GiB", 10 * GIB),
        ("1.5G", 3 * GIB // 2),
        (" 512M ", 512 * 1024**2),
        ("4096", 4096),
        ("2T", 2 * 1024**4),
        ("64k", 64 * 1024),
    ],
)
def test_sizes_in_operator_units(typed: str, size: int) -> None:
    assert parse_size(typed) == size


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("", "not a size"),
        ("10X", "not a size"),
        ("ten", "not a size"),
        ("-5G", "not a size"),
        ("0", "more than 0"),
        ("0.0M", "more than 0"),
        ("2048T", "more than 1 PiB"),
    ],
)
def test_bad_sizes_say_what_to_write(typed: str, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        parse_size(typed)


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("", "needs a name"),
        ("a/b", "cannot contain /"),
        ("-x", "does not start with"),
        (".hidden", "does not start with"),
        ("disk 1", "letters, digits"),
        ("x" * 201, "at most 200"),
        ("[bold]x", "letters, digits"),
    ],
)
def test_bad_volume_names(name: str, said: str) -> None:
    problem = name_problem(name)
    assert problem is not None and said in problem


@pytest.mark.parametrize("name", ["disk1.qcow2", "web-01_root.img", "a+b", "9"])
def test_good_volume_names(name: str) -> None:
    assert name_problem(name) is None


def test_pool_paths_are_absolute() -> None:
    assert path_problem("/srv/images") is None
    assert "absolute" in (path_problem("srv/images") or "")


def test_macs_and_addresses() -> None:
    assert mac_problem("52:54:00:AB:cd:01") is None
    assert "not a MAC" in (mac_problem("52:54:00:ab:cd") or "")
    assert ip_problem("192.168.122.20") is None
    assert "not an IP" in (ip_problem("192.168.122.300") or "")
    assert "IPv4" in (ip_problem("fe80::1") or "")
