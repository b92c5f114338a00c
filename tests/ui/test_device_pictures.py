"""Pictures of the device dialog, the attach form, the domain XML screen and the XML diff
confirmation, at 80x24 and 120x40 (scenes in device_scenes.py)."""

from __future__ import annotations

from typing import Any

import pytest

from .device_scenes import (
    attach_disk_form,
    device_dialog,
    domain_xml_searched,
    xml_diff_confirmation,
)
from .helpers import injected_app

SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_device_dialog(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(injected_app(), terminal_size=size, run_before=device_dialog)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_domain_xml_with_search_and_next_boot_notice(
    snap_compare: Any, size: tuple[int, int]
) -> None:
    assert snap_compare(injected_app(), terminal_size=size, run_before=domain_xml_searched)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_attach_disk_form(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(injected_app(), terminal_size=size, run_before=attach_disk_form)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_xml_diff_confirmation(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(injected_app(), terminal_size=size, run_before=xml_diff_confirmation)
