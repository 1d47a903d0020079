"""A tile shows exactly what tmux shows: a real pane in a private tmux server prints known
coloured text, and the tile's rendered lines equal ``capture-pane -e`` of that pane,
colours and attributes included (decoded independently by Rich's ANSI decoder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from tests.support.pilot import TileApp
from tests.support.waiting import wait_until
from widgets.pane_tile import PaneTile, TileInfo
from widgets.screen_view import ScreenView
from workflows.tmux.mirror import Mirror

WIDTH, HEIGHT = 60, 12
SCRIPT = r"""
printf '\033[31mred\033[0m plain \033[1;32mbold green\033[0m \033[44m on blue \033[0m\n'
printf '\033[38;5;208m256-orange\033[0m \033[38;2;10;200;30mtruecolor\033[0m \033[2mdim\033[0m\n'
printf '\033[4munder\033[24m \033[7mreverse\033[27m \033[3mitalic\033[0m \033[9mstrike\033[0m\n'
printf '\033[93;41mbright on red\033[0m wide: 日本語 ok\n'
printf '\033[45mcarried across\nthe line end\033[0m\n'
printf 'MARKER-%s-END' done
exec sleep 600
"""

Cell = tuple[str, Any]


def _colour(colour: Any, base: Any) -> Any:
    if colour is None or colour.is_default or colour == base:
        return None
    return ("n", colour.number) if colour.number is not None else ("rgb", colour.triplet)


def _look(style: Style | None, base: Style) -> tuple[Any, ...]:
    style = style or Style()
    return (
        _colour(style.color, base.color),
        _colour(style.bgcolor, base.bgcolor),
        bool(style.bold),
        bool(style.dim),
        bool(style.italic),
        bool(style.underline),
        bool(style.reverse),
        bool(style.strike),
    )


def cells(segments: list[Segment], base: Style, width: int) -> list[Cell]:
    out: list[Cell] = []
    for segment in segments:
        for char in segment.text:
            out.append((char, _look(segment.style, base)))
    out += [(" ", _look(None, base))] * (width - len(out))
    return out[:width]


async def test_tile_lines_equal_capture_pane_with_colours(tmux_server: Any, tmp_path: Path) -> None:
    script = tmp_path / "colours.sh"
    script.write_text(SCRIPT)
    tmux_server.cmd(
        "new-session",
        "-d",
        "-s",
        tmux_server.session,
        "-x",
        str(WIDTH),
        "-y",
        str(HEIGHT),
        "sh",
        str(script),
    )
    pane_id = tmux_server.cmd("list-panes", "-t", tmux_server.session, "-F", "#{pane_id}").strip()
    mirror = Mirror(tmux_server.target)
    mirror.start()
    try:
        mirror.set_visible([pane_id], focused=pane_id)
        model = mirror.model(pane_id)
        wait_until(
            lambda: any("MARKER-done-END" in line for line in model.text_lines()),
            timeout=20,
            message="the marker in the mirrored model",
        )
    finally:
        mirror.close()
    assert model.size == (WIDTH, HEIGHT)

    capture = tmux_server.cmd("capture-pane", "-p", "-e", "-N", "-t", pane_id)
    assert capture.count("\n") == HEIGHT
    decoded = Text.from_ansi(capture.rstrip("\n"))
    console = Console(width=WIDTH, color_system="truecolor", legacy_windows=False)
    expected_lines = list(decoded.split("\n", allow_blank=True))
    expected_lines += [Text("")] * (HEIGHT - len(expected_lines))  # blank rows at the bottom

    app = TileApp(PaneTile(TileInfo(pane_id=pane_id, name="colours"), model))
    async with app.run_test(size=(WIDTH + 2, HEIGHT + 2)):
        view = app.query_one(ScreenView)
        assert view.size.width == WIDTH and view.size.height == HEIGHT
        base = view.rich_style
        for y in range(HEIGHT):
            rendered = cells(list(view.render_line(y)), base, WIDTH)
            wanted = cells(list(expected_lines[y].render(console)), Style(), WIDTH)
            # A wide character takes two cells in tmux; Rich counts it as one character.
            rendered_text = "".join(char for char, _ in rendered).rstrip()
            wanted_text = "".join(char for char, _ in wanted).rstrip()
            assert rendered_text == wanted_text, f"row {y}"
            assert [look for _, look in rendered[: len(rendered_text)]] == [
                look for _, look in wanted[: len(wanted_text)]
            ], f"row {y} styles"
        # The rows really are coloured (the comparison cannot pass on plain text).
        first = cells(list(view.render_line(0)), base, WIDTH)
        assert first[0][1][0] == ("n", 1)  # red
        assert cells(list(view.render_line(1)), base, WIDTH)[0][1][0] == ("n", 208)
