"""Which panes the mirror captures blind (kept paused through their capture)."""

from __future__ import annotations

from workflows.tmux.busy_panes import BusyPanes

PAUSED = {"printing": {"%1"}, "paused": {"%1"}}


def test_a_pane_held_back_by_its_rate_that_changed_is_captured_blind_until_unchanged() -> None:
    busy = BusyPanes()
    busy.printed("%1", now=10.0)  # printed in the first half of its interval (due at 10.1)
    busy.printed("%1", now=10.09)  # (the first output counts)
    blind, held = busy.plan({"%1": (10.1, 0.1)}, **PAUSED)
    assert blind == set() and held == {"%1"}  # continued this time: it was not busy yet
    busy.captured("%1", changed=True, held=True)
    blind, held = busy.plan({"%1": (10.2, 0.1)}, **PAUSED)
    assert blind == {"%1"} and held == {"%1"}  # paused again: captured blind
    busy.captured("%1", changed=True, held=True)
    blind, _ = busy.plan({"%1": (10.3, 0.1)}, **PAUSED)
    assert blind == {"%1"}
    busy.captured("%1", changed=False, held=True)  # it went quiet
    assert busy.plan({"%1": (10.4, 0.1)}, **PAUSED) == (set(), set())


def test_a_pane_printing_slower_than_its_rate_or_about_as_fast_stays_event_driven() -> None:
    busy = BusyPanes()
    busy.printed("%1", now=10.2)  # printed after it was due at 10.1: captured at once
    blind, held = busy.plan({"%1": (10.1, 0.1)}, **PAUSED)
    assert blind == set() and held == set()
    busy.captured("%1", changed=True, held=False)
    busy.printed("%1", now=10.28)  # before it was due at 10.3, but late in its interval
    blind, held = busy.plan({"%1": (10.3, 0.1)}, **PAUSED)
    assert blind == set() and held == set()  # a late frame: no clock for it
    busy.captured("%1", changed=True, held=False)
    assert busy.plan({"%1": (10.4, 0.1)}, **PAUSED)[0] == set()


def test_only_a_busy_pane_still_paused_and_printing_is_captured_blind() -> None:
    busy = BusyPanes()
    busy.captured("%1", changed=True, held=True)
    busy.captured("%2", changed=True, held=True)
    # %1 runs (a reconnect, or it was continued when hidden): nothing to capture blind
    blind, held = busy.plan({"%1": (1.0, 0.1), "%2": (1.0, 0.1)}, printing={"%2"}, paused={"%2"})
    assert blind == {"%2"} and held == {"%2"}
    busy.captured("%1", changed=True, held="%1" in held)  # not held: no longer busy
    assert busy.busy == {"%2"}


def test_hidden_busy_panes_are_forgotten_and_reported() -> None:
    busy = BusyPanes()
    busy.captured("%1", changed=True, held=True)
    busy.printed("%2", now=1.0)
    assert busy.forget(["%1", "%2"]) == {"%1"}  # its last output may have gone unseen
    assert busy.busy == set()
    blind, held = busy.plan({"%2": (5.0, 0.1)}, printing={"%2"}, paused={"%2"})
    assert blind == set() and held == set()  # its old output no longer counts
