"""A mirror told how many rows a tile shows captures only those (and the row above them if
the first is blank),
and what the tile shows is what a whole capture would show, on a real tmux server."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from tests.support.waiting import wait_until
from workflows.base.target import TmuxTarget
from workflows.tmux.mirror import Mirror
from workflows.tmux.mirror_screen import PaneModel, Row

WIDTH, HEIGHT, TILE = 60, 20, 6


def whole(tmux_server: Any, pane: str) -> PaneModel:
    """The pane as a model fed one whole capture (the reference)."""
    lines = subprocess.run(
        ["tmux", "-L", tmux_server.socket, "capture-pane", "-p", "-e", "-N", "-t", pane],
        capture_output=True, text=True, check=True,
    ).stdout.split("\n")[:HEIGHT]  # fmt: skip
    model = PaneModel(pane, WIDTH, HEIGHT)
    model.apply_capture(lines, WIDTH, HEIGHT)
    return model


def tile(model: PaneModel) -> list[tuple[int, Row]]:
    return [(y, model.row(y)) for y in model.view_rows(TILE)]


def test_the_tile_shows_what_a_whole_capture_shows(tmux_server: Any, tmp_path: Path) -> None:
    """Scrolling output, a screen cleared to a few lines at the top (the view moves up,
    above what was captured), colours carried from a row above the view, a box drawn
    and erased at the bottom: after each step the tile's rows equal the reference's."""
    steps = [
        "for i in $(seq 1 40); do echo line-$i; done",
        "clear; echo top-1; echo top-2",
        r"printf '\033[1;33mstarts yellow\n'; for i in 1 2 3 4 5 6 7 8; do echo still-$i; done;"
        r" printf '\033[0mplain\n'",
        r"printf '\033[18;1Hbox-1\n\033[19;1H\033[44m box-2 \033[0m'",
        r"printf '\033[18;1H\033[2K\033[19;1H\033[2K\033[10;1H'",
        r"printf '\033[1;1Habove the tile\033[10;1H'",
    ]
    script = "; ".join(
        f"while [ ! -e {tmp_path}/go-{n} ]; do sleep 0.02; done; {step}"
        for n, step in enumerate(steps)
    )
    session = tmux_server.session
    tmux_server.cmd(
        "new-session", "-d", "-s", session, "-x", str(WIDTH), "-y", str(HEIGHT),
        f"stty -echo; {script}; exec sleep 600",
    )  # fmt: skip
    (pane,) = tmux_server.cmd("list-panes", "-t", session, "-F", "#{pane_id}").split()
    mirror = Mirror(TmuxTarget(tmux_server.socket, session))
    mirror.start()
    try:
        mirror.set_visible([pane], rows={pane: TILE})
        for n in range(len(steps)):
            captures = mirror.captures
            (tmp_path / f"go-{n}").touch()
            wait_until(
                lambda captures=captures: (
                    mirror.captures > captures
                    and tile(mirror.model(pane)) == tile(whole(tmux_server, pane))
                ),
                timeout=30,
                message=f"step {n}: the tile as a whole capture shows it",
            )
        # the last step wrote above the tile: captured since, but not that row
        assert whole(tmux_server, pane).text_lines()[0].startswith("above the tile")
        assert mirror.model(pane).text_lines()[0].startswith("top-1")
    finally:
        mirror.close()


def test_a_partial_capture_leaves_the_rows_above_it_alone() -> None:
    model = PaneModel("%1", 20, 5)
    model.apply_capture(["a", "b", "c", "d", "e"], 20, 5)
    before = model.row(0)
    # tmux starts a partial capture's codes afresh: its first row carries its colour
    assert model.apply_capture(["\x1b[31mC", "D", "E"], 20, 5, first=2) == {2, 3, 4}
    assert model.row(0) is before and model.text_lines()[1].startswith("b")
    assert model.row(3)[0][0].startswith("D") and model.row(3)[0][1].fg == "red"
    assert model.apply_capture(["\x1b[31mC", "D", "E"], 20, 5, first=2) == set()
