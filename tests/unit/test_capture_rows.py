"""Which rows the mirror captures: from the row above what the view shows, down."""

from __future__ import annotations

from workflows.tmux.capture_rows import CaptureRows
from workflows.tmux.mirror_screen import PaneModel


def test_capture_starts_above_the_view_and_a_view_moved_up_needs_a_whole_capture() -> None:
    rows = CaptureRows()
    assert rows.set({"%1": 3, "%2": 0}, ["%1", "%2"]) == {"%1"}  # 0: not laid out, whole
    model = PaneModel("%1", 10, 8)
    model.apply_capture([f"row {y}" for y in range(8)], 10, 8)
    assert model.view_rows(3) == [5, 6, 7]
    assert rows.first("%1", model, (10, 8)) == 4
    assert rows.first("%2", model, (10, 8)) == 0  # no height: the whole pane
    assert rows.first("%1", model, (10, 9)) == 0  # resized: the whole pane
    assert rows.first("%1", None, (10, 8)) == 0  # never captured
    model.apply_capture(["row 4", "", "", "", ""], 10, 8, first=4)  # the bottom cleared
    assert model.view_rows(3) == [2, 3, 4]  # shows rows above what was captured
    assert rows.moved_up("%1", model, (10, 8), first=4)
    assert rows.set({"%1": 3}, ["%1"]) == set()  # unchanged
    assert rows.set({"%1": 5}, ["%1"]) == {"%1"}  # taller: capture again
