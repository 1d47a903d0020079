"""Which rows the mirror captures: from the first row the view shows (or the one above it
when that row is blank: it decides whether the blank row opens the view), down."""

from __future__ import annotations

import random

from workflows.tmux.capture_rows import CaptureRows
from workflows.tmux.mirror_screen import PaneModel


def test_capture_starts_at_the_view_and_a_view_moved_up_needs_a_whole_capture() -> None:
    rows = CaptureRows()
    assert rows.set({"%1": 3, "%2": 0}, ["%1", "%2"]) == {"%1"}  # 0: not laid out, whole
    model = PaneModel("%1", 10, 8)
    model.apply_capture([f"row {y}" for y in range(8)], 10, 8)
    assert model.view_rows(3) == [5, 6, 7]
    assert rows.first("%1", model, (10, 8)) == 5  # it shows something: row 4 decides nothing
    assert rows.first("%2", model, (10, 8)) == 0  # no height: the whole pane
    assert rows.first("%1", model, (10, 9)) == 0  # resized: the whole pane
    assert rows.first("%1", None, (10, 8)) == 0  # never captured
    assert not rows.moved_up("%1", model, (10, 8), first=5)
    model.apply_capture(["", "", "row 7"], 10, 8, first=5)  # a blank run: the view moved up
    assert model.view_rows(3) == [4, 5, 7]
    assert rows.first("%1", model, (10, 8)) == 4 and rows.moved_up("%1", model, (10, 8), 5)
    blank_top = PaneModel("%1", 10, 8)
    blank_top.apply_capture(["row 0", "", "", "", "A", "", "B", "C"], 10, 8)
    assert blank_top.view_rows(3) == [5, 6, 7]  # it opens with a blank row: row 4 decides
    assert rows.first("%1", blank_top, (10, 8)) == 4
    model.apply_capture(["row 3", "row 4", "", "", "", ""], 10, 8, first=2)  # bottom cleared
    assert model.view_rows(3) == [1, 2, 3]  # shows rows above what was captured
    assert rows.moved_up("%1", model, (10, 8), first=2)
    assert rows.set({"%1": 3}, ["%1"]) == set()  # unchanged
    assert rows.set({"%1": 5}, ["%1"]) == {"%1"}  # taller: capture again


def test_captures_from_first_show_what_whole_captures_show() -> None:
    """Random screens (blank runs, a view moving up and down): capturing from ``first``,
    and whole once the view moved up, the view equals a whole capture's, row for row.
    (Each row resets its codes, as a capture's rows read alone do: tmux starts a partial
    capture's codes afresh.)"""
    rng = random.Random(7)
    columns, height, view = 12, 10, 4
    rows = CaptureRows()
    rows.set({"%1": view}, ["%1"])
    model = PaneModel("%1", columns, height)
    screen = [""] * height
    for _ in range(3000):
        for _ in range(rng.randint(1, 3)):
            screen[rng.randrange(height)] = rng.choice(["", "", "x", "\x1b[44m \x1b[0m", "text"])
        first = rows.first("%1", model, (columns, height))
        model.apply_capture(screen[first:], columns, height, first)
        if rows.moved_up("%1", model, (columns, height), first):
            model.apply_capture(list(screen), columns, height)
        reference = PaneModel("%2", columns, height)
        reference.apply_capture(list(screen), columns, height)
        shown = reference.view_rows(view)
        assert model.view_rows(view) == shown, screen
        assert [model.row(y) for y in shown] == [reference.row(y) for y in shown], screen
