"""A change's confirming event may arrive before its call returns: it still confirms it."""

from __future__ import annotations

import asyncio

from limen_tui.fleet.runner import Heard
from limen_tui.model import DomainEvent
from limen_tui.model.device_change import Expect


def event(kind: str, word: str, alias: str) -> DomainEvent:
    return DomainEvent(0.0, "h", "u", "vm", kind, word, alias)  # type: ignore[arg-type]


ADDED = Expect("device", "device added", "ua-limen-disk-1")


async def test_an_event_heard_before_the_wait_confirms() -> None:
    heard = Heard()
    heard.add(event("device", "device added", "ua-limen-disk-1"))
    found = await heard.first((ADDED,), 0.01)
    assert found is not None and found.reason == "ua-limen-disk-1"


async def test_another_devices_event_does_not_confirm_and_the_wait_ends() -> None:
    heard = Heard()
    heard.add(event("device", "device added", "virtio-disk7"))
    heard.add(event("tray", "tray opened", "ua-limen-disk-1"))
    assert await heard.first((ADDED,), 0.05) is None


async def test_an_event_that_comes_later_ends_the_wait_at_once() -> None:
    heard = Heard()
    loop = asyncio.get_running_loop()
    loop.call_later(0.05, heard.add, event("device", "device added", "ua-limen-disk-1"))
    started = loop.time()
    assert await heard.first((ADDED,), 10.0) is not None
    assert loop.time() - started < 5.0


def test_an_expectation_with_no_word_takes_any_event_of_its_kind_and_device() -> None:
    tray = Expect("tray", "", "ide0-1-0")
    assert tray.matches(event("tray", "tray closed", "ide0-1-0"))
    assert not tray.matches(event("tray", "tray closed", "ide0-1-1"))
    assert tray.words == "tray event for ide0-1-0"
