"""The pane model repaints only changed rows, keeps colours pyte would lose, and the tile
view reuses cached Strips and Styles for rows that did not change."""

from __future__ import annotations

import random

from textual.app import App, ComposeResult

from widgets.screen_view import ScreenView, rich_style
from workflows.tmux.captured_sgr import (
    OTHER,
    SGR,
    TOKENS,
    canonical_sgr,
    carried_prefixes,
    carry_after,
)
from workflows.tmux.mirror_screen import PaneModel, StyleKey, _row_runs


def test_only_changed_rows_are_dirty() -> None:
    model = PaneModel("%1", 20, 4)
    lines = ["one", "two", "three", ""]
    assert model.apply_capture(lines, 20, 4) == {0, 1, 2, 3}
    assert model.apply_capture(lines, 20, 4) == set()
    lines[1] = "TWO"
    before = [model.row(y) for y in range(len(model.rows))]
    assert model.apply_capture(lines, 20, 4) == {1}
    assert model.row(0) is before[0] and model.row(2) is before[2]
    assert model.text_lines()[1].rstrip() == "TWO"


def test_colours_dim_and_carried_style() -> None:
    model = PaneModel("%1", 20, 3)
    model.apply_capture(["\x1b[38;5;16mA\x1b[2mB", "C\x1b[0m", "\x1b[48;2;1;2;3mD"], 20, 3)
    first = model.row(0)
    assert first[0] == ("A", StyleKey("i16", "default", *[False] * 7))
    assert first[1][0] == "B" and first[1][1].dim and first[1][1].fg == "i16"
    # tmux does not reset at the end of a row: row 1 starts dim and colour 16
    assert model.row(1)[0][1].fg == "i16" and model.row(1)[0][1].dim
    assert model.row(2)[0][1].bg == "#010203"
    assert carried_prefixes(["\x1b[1mX", "Y\x1b[0m", "Z"]) == ["", "\x1b[1m", ""]


def test_private_csi_never_reaches_pyte() -> None:
    model = PaneModel("%1", 20, 1)
    model.apply_capture(["\x1b[>4;1mplain"], 20, 1)
    text, key = model.row(0)[0]
    assert text.startswith("plain") and not key.bold and not key.underline


def test_resize_repaints_everything() -> None:
    model = PaneModel("%1", 20, 2)
    model.apply_capture(["a", "b"], 20, 2)
    assert model.apply_capture(["a", "b", "c"], 30, 3) == {0, 1, 2}
    assert model.size == (30, 3)


class ViewApp(App[None]):
    def __init__(self, model: PaneModel) -> None:
        super().__init__()
        self.model = model

    def compose(self) -> ComposeResult:
        yield ScreenView(self.model)


async def test_view_caches_strips_and_styles() -> None:
    model = PaneModel("%1", 30, 5)
    model.apply_capture([f"\x1b[3{y}mrow {y}" for y in range(5)], 30, 5)
    app = ViewApp(model)
    async with app.run_test(size=(30, 5)) as pilot:
        view = app.query_one(ScreenView)
        await pilot.pause()
        misses = view.strip_misses
        assert misses >= 5
        for y in range(5):
            view.render_line(y)
        assert view.strip_misses == misses  # nothing changed: every row from cache
        model.apply_capture([f"\x1b[3{y}mrow {y}" for y in range(4)] + ["changed"], 30, 5)
        assert view.refresh_changed() == 1
        for y in range(5):
            view.render_line(y)
        assert view.strip_misses == misses + 1
        assert view.render_line(4).text.startswith("changed")
    hits_before = rich_style.cache_info().hits
    rich_style(StyleKey("red", "default", *[False] * 7))
    rich_style(StyleKey("red", "default", *[False] * 7))
    assert rich_style.cache_info().hits > hits_before


async def test_view_shows_the_rows_ending_at_the_last_non_blank_one() -> None:
    model = PaneModel("%1", 10, 10)
    model.apply_capture(["top"] + [""] * 6 + ["prompt", "", ""], 10, 10)
    app = ViewApp(model)
    async with app.run_test(size=(10, 3)):  # a 3-row view of a 10-row pane
        view = app.query_one(ScreenView)
        # the blank run between "top" and "prompt" is folded to one row
        assert view.view_rows() == [0, 1, 7]
        assert [view.render_line(y).text.rstrip() for y in range(3)] == ["top", "", "prompt"]


async def test_view_of_a_pane_that_fits_is_the_pane_as_it_is() -> None:
    model = PaneModel("%1", 10, 4)
    model.apply_capture(["a", "", "", "b"], 10, 4)
    app = ViewApp(model)
    async with app.run_test(size=(10, 4)):
        view = app.query_one(ScreenView)
        assert view.view_rows() == [0, 1, 2, 3]


def test_scrolled_rows_are_moved_not_parsed_again() -> None:
    model = PaneModel("%1", 20, 4)
    model.apply_capture(["\x1b[31ma\x1b[0m", "b", "c", "prompt"], 20, 4)
    before = [model.row(y) for y in range(len(model.rows))]
    parsed: list[int] = []
    draw_row = model._draw_row
    model._draw_row = lambda y, line: parsed.append(y) or draw_row(y, line)  # type: ignore[method-assign]
    changed = model.apply_capture(["b", "c", "d", "prompt"], 20, 4)
    assert changed == {0, 1, 2}
    assert model.row(0) is before[1] and model.row(1) is before[2]
    assert parsed == [2]  # only the new row was drawn
    assert [line.rstrip() for line in model.text_lines()] == ["b", "c", "d", "prompt"]
    # pyte's own buffer agrees with the published rows, row by row
    for y, text in enumerate(model.text_lines()):
        line = model.screen.buffer[y]
        assert "".join(line[x].data for x in range(20)) == text


def test_a_row_scrolled_from_under_codes_that_change_nothing_is_moved() -> None:
    # tmux ends captured rows with codes like `39m 49m`: the row below carries them in,
    # and once it scrolls to the top it carries nothing in. Same look: moved, not drawn.
    model = PaneModel("%1", 20, 3)
    model.apply_capture(["\x1b[32m●\x1b[39m\x1b[49m one", "two", "prompt"], 20, 3)
    before = model.row(1)
    parsed: list[int] = []
    draw_row = model._draw_row
    model._draw_row = lambda y, line: parsed.append(y) or draw_row(y, line)  # type: ignore[method-assign]
    assert model.apply_capture(["two", "three", "prompt"], 20, 3) == {0, 1}
    assert parsed == [1] and model.row(0) is before
    # a carry that does change the look still makes the row different
    assert carried_prefixes(["\x1b[1;32mA\x1b[22m", "B"]) == ["", "\x1b[32m"]


def test_runs_drawn_from_tokens_equal_runs_walked_from_cells() -> None:
    lines = [
        "\x1b[32m●\x1b[39m \x1b[1m000001\x1b[0m\x1b[39m\x1b[49m t=1 words   ",
        "\x1b[48;5;236m  box  \x1b[49m plain    \x1b[7mrev",
        "你好 wide \x1b[38;2;1;2;3mrgb\x1b[0m  ",
        "   ",
        "\x1b[44m" + " " * 30,  # a background to the end of the row
        "e\u0301 combining, then text",  # pyte's own draw: runs from the cells
    ]
    model = PaneModel("%1", 30, len(lines))
    model.apply_capture(lines, 30, len(lines))
    for y in range(len(lines)):
        assert model.row(y) == _row_runs(model.screen.buffer[y], 30), lines[y]


def test_cells_written_late_equal_cells_written_at_once() -> None:
    """Rows drawn from tokens get their cells only when the buffer is read; scrolled,
    mixed with rows pyte's parser draws, they agree with a model fed the capture afresh."""
    rng = random.Random(12)
    pieces = ["plain", "\x1b[1mbold\x1b[0m", "\x1b[38;5;9mred", "\x1b[44m  ", "你好", "x"]
    odd = ["back\x08space", "e\u0301", "tab\there"]  # pyte's own draw or parser
    columns, height = 24, 8

    def line() -> str:
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(0, 4)))
        return rng.choice(odd) if rng.random() < 0.1 else text

    model = PaneModel("%1", columns, height)
    lines = [line() for _ in range(height)]
    for round_ in range(300):
        scroll = rng.randint(0, 3)
        lines = lines[scroll:] + [line() for _ in range(scroll)]
        if rng.random() < 0.5:
            lines[rng.randrange(height)] = line()
        model.apply_capture(list(lines), columns, height)
        fresh = PaneModel("%2", columns, height)
        fresh.apply_capture(list(lines), columns, height)
        if round_ % 7 == 0:  # read the cells now and then: written, then moved again
            buffer = model.screen.buffer
            assert not model._unpainted
            for y in range(height):
                assert _row_runs(buffer[y], columns) == fresh.row(y), (round_, y, lines[y])
        assert [model.row(y) for y in range(height)] == [fresh.row(y) for y in range(height)]
    plain = [f"row {y}" for y in range(height)]
    model.apply_capture(plain, columns, height)
    assert model.screen and not model._unpainted
    model.apply_capture(["new row", *plain[1:]], columns, height)
    assert model._unpainted == {0}  # drawn from tokens, its cells not written yet
    assert "".join(cell.data for cell in model.screen.buffer[0].values()).startswith("new row")


def test_the_quick_checks_agree_with_the_long_ways() -> None:
    """A row needs pyte's parser exactly when the tokeniser finds something else in it,
    and the codes carried past a row are those after its last reset (else all of them)."""

    def carry_the_long_way(carry: str, line: str) -> str:
        codes = [carry] if carry else []
        for code in SGR.findall(line):
            codes = [] if code in ("\x1b[0m", "\x1b[m") else [*codes, code]
        return canonical_sgr("".join(codes))

    rng = random.Random(3)
    alphabet = ["\x1b", "[", "0", "1", "3", "8", ";", "5", "m", "a", " ", "\x1b[0m", "\x1b[m"]
    alphabet += ["\x1b[1m", "\x1b[38;5;9m", "\x1b[0;1m", "\t", "\x07", "\x7f", "é", "\x1b[?"]
    for _ in range(20000):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        long_way = any(other for _, _, other in TOKENS.findall(line))
        assert bool(OTHER.search(line)) == long_way, repr(line)
        carry = rng.choice(["", "\x1b[1m", "\x1b[38;5;9;44m"])
        assert carry_after(carry, line) == carry_the_long_way(carry, line), repr(line)
