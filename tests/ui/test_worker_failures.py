"""A worker that fails, wherever it ran, is shown to the operator and kept in the own log."""

from __future__ import annotations

import logging

import pytest

from limen_tui.ui import saved_layout

from .helpers import inject, injected_app, wait_for


async def test_a_failing_worker_is_shown_and_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_save(state: saved_layout.UiState, path: object = None) -> None:
        raise RuntimeError("the state dir is on fire")

    monkeypatch.setattr(saved_layout, "save", broken_save)
    app = injected_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await inject(app)
        with caplog.at_level(logging.ERROR, logger="limen_tui.ui"):
            await pilot.press("L")  # the layout is saved in a thread worker of the main screen
            await wait_for(lambda: any("on fire" in str(n.message) for n in app._notifications))
        (note,) = [n for n in app._notifications if "on fire" in str(n.message)]
        assert note.severity == "error" and not note.markup
        assert "saving the layout failed" in str(note.message)
        assert any("on fire" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)
        assert app.screen is app.main  # the console keeps running
