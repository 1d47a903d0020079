"""One mirrored pane: a pyte screen fed with ``capture-pane -e -N`` rows, and styled runs.

tmux regenerates every row's SGR codes in a capture, so what pyte parses is tmux's own
clean rendition of the pane (no ``CSI >4;1m`` or colon-form colours from the agent ever
reach pyte). Only rows whose text changed since the previous capture are fed, so
``screen.dirty`` names exactly the rows a tile must repaint. Styles are kept as hashable
:data:`StyleKey` tuples so the UI layer can cache one Rich ``Style`` per key; this module
never imports Textual or Rich.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any, NamedTuple

import pyte

# SGR sequences as tmux writes them in a capture, and private ones we must never feed.
_SGR = re.compile(r"\x1b\[[0-9;]*m")
_PRIVATE_CSI = re.compile(r"\x1b\[[<>=?][0-9;]*[a-zA-Z]")
_FG_NAMES = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")


class Cell(NamedTuple):
    """pyte's ``Char`` plus ``dim``, which pyte does not record."""

    data: str
    fg: str = "default"
    bg: str = "default"
    bold: bool = False
    italics: bool = False
    underscore: bool = False
    strikethrough: bool = False
    reverse: bool = False
    blink: bool = False
    dim: bool = False


class StyleKey(NamedTuple):
    """A cell's look. Colours: ``default``, a name (``red``, ``bright_red``), ``i<N>``
    (256-colour index) or ``#rrggbb``."""

    fg: str
    bg: str
    bold: bool
    dim: bool
    italic: bool
    underline: bool
    blink: bool
    reverse: bool
    strike: bool


Run = tuple[str, StyleKey]
Row = tuple[Run, ...]
DEFAULT_STYLE = StyleKey("default", "default", False, False, False, False, False, False, False)

_TEXT_ON = {
    1: "bold",
    2: "dim",
    3: "italics",
    4: "underscore",
    5: "blink",
    7: "reverse",
    9: "strikethrough",
}
_TEXT_OFF = {
    22: ("bold", "dim"),
    23: ("italics",),
    24: ("underscore",),
    25: ("blink",),
    27: ("reverse",),
    29: ("strikethrough",),
}


def _extended_colour(attrs: list[int]) -> str | None:
    """Pop a ``5;N`` or ``2;R;G;B`` tail (after 38/48) from ``attrs`` (reversed order)."""
    try:
        mode = attrs.pop()
        if mode == 5:
            return f"i{attrs.pop()}"
        if mode == 2:
            red, green, blue = attrs.pop(), attrs.pop(), attrs.pop()
            return f"#{red:02x}{green:02x}{blue:02x}"
    except IndexError:
        return None
    return None


class MirrorScreen(pyte.Screen):
    """A pyte screen that keeps 256-colour indexes and dim (pyte maps both lossily)."""

    @property
    def default_char(self) -> Cell:  # type: ignore[override]
        return Cell(data=" ")

    def reset(self) -> None:
        super().reset()
        self.cursor.attrs = self.default_char  # type: ignore[assignment]

    def select_graphic_rendition(self, *attrs: int, private: bool = False) -> None:
        if private:
            return
        pending = list(reversed(attrs or (0,)))
        changes: dict[str, object] = {}
        while pending:
            attr = pending.pop()
            if attr == 0:
                changes = dict(self.default_char._asdict())
            elif attr in _TEXT_ON:
                changes[_TEXT_ON[attr]] = True
            elif attr in _TEXT_OFF:
                changes.update(dict.fromkeys(_TEXT_OFF[attr], False))
            elif 30 <= attr <= 37 or 90 <= attr <= 97:
                changes["fg"] = ("bright_" if attr >= 90 else "") + _FG_NAMES[attr % 10]
            elif 40 <= attr <= 47 or 100 <= attr <= 107:
                changes["bg"] = ("bright_" if attr >= 100 else "") + _FG_NAMES[attr % 10]
            elif attr in (39, 49):
                changes["fg" if attr == 39 else "bg"] = "default"
            elif attr in (38, 48):
                colour = _extended_colour(pending)
                if colour is not None:
                    changes["fg" if attr == 38 else "bg"] = colour
        current: Any = self.cursor.attrs
        self.cursor.attrs = current._replace(**changes)


def _row_runs(line: Mapping[int, Any], columns: int) -> Row:
    """Merge a screen row's cells into (text, style) runs; wide-char stubs are skipped."""
    runs: list[Run] = []
    text: list[str] = []
    current: StyleKey | None = None
    for x in range(columns):
        cell = line[x]
        if cell.data == "":
            continue
        key = StyleKey(
            cell.fg,
            cell.bg,
            cell.bold,
            cell.dim,
            cell.italics,
            cell.underscore,
            cell.blink,
            cell.reverse,
            cell.strikethrough,
        )
        if key != current:
            if text and current is not None:
                runs.append(("".join(text), current))
            text, current = [], key
        text.append(cell.data)
    if text and current is not None:
        runs.append(("".join(text), current))
    return tuple(runs)


def carried_prefixes(lines: list[str]) -> list[str]:
    """The SGR codes in effect at the start of each captured line.

    tmux does not reset attributes at the end of a captured row, so a row alone does not
    say how it looks: prefix it with the codes carried from the rows above.
    """
    prefixes: list[str] = []
    carry: list[str] = []
    for line in lines:
        prefixes.append("".join(carry))
        for code in _SGR.findall(line):
            if code in ("\x1b[0m", "\x1b[m"):
                carry = []
            else:
                carry.append(code)
    return prefixes


class PaneModel:
    """The mirrored screen of one pane. ``rows`` are replaced whole, never mutated, so a UI
    thread may read them while the mirror thread applies the next capture."""

    def __init__(self, pane_id: str, columns: int = 80, lines: int = 24) -> None:
        self.pane_id = pane_id
        self.screen = MirrorScreen(columns, lines)
        self.stream = pyte.Stream(self.screen)
        self._captured: list[str] = []
        self.rows: list[Row] = [() for _ in range(lines)]
        self.version = 0
        self.lock = threading.Lock()

    @property
    def size(self) -> tuple[int, int]:
        return self.screen.columns, self.screen.lines

    def apply_capture(self, lines: list[str], columns: int, height: int) -> set[int]:
        """Feed a ``capture-pane -p -e -N`` dump; return the rows that changed."""
        with self.lock:
            if (columns, height) != self.size:
                self.screen.resize(lines=height, columns=columns)
                self._captured = []
                self.rows = [() for _ in range(height)]
            lines = (lines + [""] * height)[:height]
            keyed = [p + line for p, line in zip(carried_prefixes(lines), lines, strict=True)]
            chunks = []
            for y, line in enumerate(keyed):
                if y < len(self._captured) and self._captured[y] == line:
                    continue
                clean = _PRIVATE_CSI.sub("", line)
                chunks.append(f"\x1b[{y + 1};1H\x1b[0m\x1b[2K{clean}")
            self._captured = keyed
            if chunks:
                self.stream.feed("".join(chunks) + "\x1b[0m")
            return self._publish_dirty()

    def _publish_dirty(self) -> set[int]:
        dirty = {y for y in self.screen.dirty if 0 <= y < self.screen.lines}
        self.screen.dirty.clear()
        if dirty:
            rows = list(self.rows)
            for y in dirty:
                rows[y] = _row_runs(self.screen.buffer[y], self.screen.columns)
            self.rows = rows
            self.version += 1
        return dirty

    def text_lines(self) -> list[str]:
        """Plain text of every row (trailing spaces kept), for tests and the bench."""
        return ["".join(text for text, _ in row) for row in self.rows]
