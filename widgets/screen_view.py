"""ScreenView: paints a mirrored pane (a :class:`PaneModel`) with its colours.

Rows arrive as immutable (text, StyleKey) runs; each row becomes one cached Strip and each
StyleKey one cached Rich Style, so a repaint after a capture touches only changed rows.
When the pane is taller than the view, the view shows the rows ending at the last
non-blank one (where an agent's prompt and dialogs are), blank runs folded to one row.
"""

from __future__ import annotations

from functools import lru_cache

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from workflows.tmux.mirror_screen import PaneModel, Row, StyleKey


def _colour(value: str) -> Color | None:
    if value == "default":
        return None
    if value.startswith("i"):
        return Color.from_ansi(int(value[1:]))
    return Color.parse(value)


@lru_cache(maxsize=4096)
def rich_style(key: StyleKey) -> Style:
    """One Style object per distinct cell look (cached: tiles share them)."""
    return Style(
        color=_colour(key.fg),
        bgcolor=_colour(key.bg),
        bold=key.bold or None,
        dim=key.dim or None,
        italic=key.italic or None,
        underline=key.underline or None,
        blink=key.blink or None,
        reverse=key.reverse or None,
        strike=key.strike or None,
    )


def row_strip(row: Row) -> Strip:
    return Strip([Segment(text, rich_style(key)) for text, key in row])


class ScreenView(Widget):
    """The read-only picture of one pane (attach is the interactive view)."""

    DEFAULT_CSS = """
    ScreenView {
        width: 1fr;
        height: 1fr;
        background: $background;
    }
    """

    def __init__(self, model: PaneModel | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = model
        self._strips: dict[int, tuple[Row, Strip]] = {}  # id(row) → (row, strip)
        self._shown: dict[int, Row] = {}  # pane row → the Row last painted there
        self._cropped: dict[int, tuple[Strip, int, Strip]] = {}  # pane row → view-wide Strip
        self._base: Style | None = None
        self._rows_for: tuple[int, int] = (-1, 0)  # (model version, view height) → rows
        self._rows: list[int] = []
        self._rows_shown: list[int] | None = None
        self.strip_hits = 0
        self.strip_misses = 0

    def set_model(self, model: PaneModel | None) -> None:
        self.model = model
        self._strips.clear()
        self._shown.clear()
        self._cropped.clear()
        self._rows_for = (-1, 0)
        self.refresh()

    def view_rows(self) -> list[int]:
        """The pane rows this view shows, top to bottom (see PaneModel.view_rows)."""
        model = self.model
        height = self.size.height
        if model is None or height <= 0:
            return []
        if self._rows_for != (model.version, height):
            self._rows = model.view_rows(height)  # the rows the mirror keeps fresh
            self._rows_for = (model.version, height)
        return self._rows

    def row_strip(self, y: int) -> Strip:
        """The Strip of pane row ``y`` over the view's base style, cached per Row object:
        a row that only moved (the agent's output scrolled) keeps its Strip."""
        assert self.model is not None
        row = self.model.row(y)
        base = self.rich_style
        if base != self._base:
            self._strips.clear()
            self._base = base
        cached = self._strips.get(id(row))
        if cached is not None and cached[0] is row:
            self.strip_hits += 1
            self._shown[y] = row
            return cached[1]
        self.strip_misses += 1
        strip = row_strip(row).apply_style(base)
        if len(self._strips) > 4 * max(len(self.model.rows), 1):
            live = {id(each) for each in self.model.rows if each is not None}
            self._strips = {key: value for key, value in self._strips.items() if key in live}
        self._strips[id(row)] = (row, strip)
        self._shown[y] = row
        return strip

    def render_line(self, y: int) -> Strip:
        model = self.model
        width = self.size.width
        if model is None:
            return Strip.blank(width, self.rich_style)
        rows = self._rows_shown = self.view_rows()
        if y >= len(rows):
            return Strip.blank(width, self.rich_style)
        pane_y = rows[y]
        strip = self.row_strip(pane_y)
        cropped = self._cropped.get(pane_y)
        if cropped is None or cropped[0] is not strip or cropped[1] != width:
            view_strip = strip.crop_extend(0, width, self.rich_style)
            cropped = self._cropped[pane_y] = (strip, width, view_strip)
        return cropped[2]

    def refresh_changed(self) -> int:
        """Repaint only the view lines whose pane row changed; return how many."""
        model = self.model
        if model is None:
            return 0
        rows = self.view_rows()
        if rows != self._rows_shown:  # the window moved or rows folded differently
            self._rows_shown = rows
            self.refresh()
            return self.size.height
        width, changed = self.size.width, 0
        current = model.rows
        for line, pane_y in enumerate(rows):
            if self._shown.get(pane_y) is not current[pane_y]:
                self.refresh(Region(0, line, width, 1))
                changed += 1
        return changed
