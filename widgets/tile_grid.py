"""TileGrid: every agent pane as a tile, laid out to fit; arrows/hjkl move, z zooms."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import ScrollableContainer
from textual.events import Resize
from textual.message import Message

from widgets.pane_tile import PaneTile, TileInfo, tile_id
from workflows.tmux.mirror_screen import PaneModel

MIN_TILE_WIDTH = 48
MIN_TILE_HEIGHT = 12


class TileGrid(ScrollableContainer, can_focus=True):
    """Holds keyboard focus for the tiles; ``selected`` is the tile keys act on."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "move(-1, 0)", "Left", show=False, id="tiles.left"),
        Binding("right,l", "move(1, 0)", "Right", show=False, id="tiles.right"),
        Binding("up,k", "move(0, -1)", "Up", show=False, id="tiles.up"),
        Binding("down,j", "move(0, 1)", "Down", show=False, id="tiles.down"),
        Binding("z", "zoom", "Zoom", id="tiles.zoom"),
    ]

    DEFAULT_CSS = """
    TileGrid {
        layout: grid;
        grid-gutter: 0 1;
        height: 1fr;
    }
    TileGrid.-zoomed PaneTile {
        display: none;
    }
    TileGrid.-zoomed PaneTile.-zoomed {
        display: block;
    }
    """

    class Layout(Message):
        """Which tiles can be seen changed (scroll, resize, zoom, tiles added)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns = 1
        self._selected: PaneTile | None = None
        self._applied_layout: tuple[int, str] = (0, "")
        self._tiles: list[PaneTile] = []
        self._tiles_at = -1

    @property
    def tiles(self) -> list[PaneTile]:
        """The tiles in order (cached until children change: a query of 100 tiles costs
        ~1 ms, and every key on the agents screen asked several times)."""
        updates = self._nodes._updates
        if self._tiles_at != updates:
            self._tiles = list(self.query_children(PaneTile))
            self._tiles_at = updates
        return self._tiles

    @property
    def focused_tile(self) -> PaneTile | None:
        """The selected tile (still mounted here), or None."""
        tile = self._selected
        return tile if tile is not None and tile.parent is self else None

    @property
    def zoomed(self) -> bool:
        return self.has_class("-zoomed")

    def sync(self, infos: list[TileInfo], model_for: Callable[[str], PaneModel]) -> bool:
        """Make the tiles match ``infos`` (in that order) without rebuilding kept ones;
        True when tiles came or went. ``model_for`` takes a pane key (``TileInfo.key``)."""
        wanted = {tile_id(info.key): info for info in infos}
        tiles = self.tiles
        gone = [tile for tile in tiles if tile.id not in wanted]
        for tile in gone:
            tile.remove()
        existing = {tile.id: tile for tile in tiles if tile.id in wanted}
        new_tiles = []
        for info in infos:
            shown = existing.get(tile_id(info.key))
            if shown is None:
                new_tiles.append(PaneTile(info, model_for(info.key)))
            else:
                shown.update_info(info)
        if new_tiles:
            self.mount_all(new_tiles)
        if new_tiles or gone:
            self.call_after_refresh(self._relayout)
        return bool(new_tiles or gone)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):  # other tiles came into view
            self.post_message(self.Layout())

    def on_resize(self, event: Resize) -> None:
        self._relayout()

    def _relayout(self) -> None:
        count = max(1, len(self.tiles))
        width, height = self.size
        self.columns = max(1, min(count, width // MIN_TILE_WIDTH or 1))
        rows = math.ceil(count / self.columns)
        grid_rows = "1fr" if rows * MIN_TILE_HEIGHT <= height else str(MIN_TILE_HEIGHT)
        # Zoomed, the one tile shown takes the whole grid: a column of its own at full width
        # (these inline styles win over any CSS, so the zoom must be applied here).
        columns, grid_rows = (1, "1fr") if self.zoomed else (self.columns, grid_rows)
        if (columns, grid_rows) != self._applied_layout:  # style changes cost a layout
            self._applied_layout = (columns, grid_rows)
            self.styles.grid_size_columns = columns
            self.styles.grid_rows = grid_rows
        self.post_message(self.Layout())

    def visible_tiles(self) -> list[PaneTile]:
        return [tile for tile in self.tiles if tile.display and tile.is_on_screen]

    def focus_tile(self, tile: PaneTile) -> None:
        """Select ``tile`` (the keys act on it) and bring it into view."""
        previous = self.focused_tile
        if previous is not tile:
            if previous is not None:
                previous.remove_class("-selected")
            tile.add_class("-selected")
            self._selected = tile
            self.refresh_bindings()  # now, so the key bar changes in the same frame
            self.post_message(PaneTile.Selected(tile))
        if self.zoomed:
            self.zoom(tile)
        else:
            self.scroll_to_widget(tile, animate=False)

    def zoom(self, tile: PaneTile | None) -> None:
        for each in self.tiles:
            each.set_class(each is tile, "-zoomed")
        self.set_class(tile is not None, "-zoomed")
        self._relayout()

    def action_move(self, dx: int, dy: int) -> None:
        tiles = self.tiles
        if not tiles:
            return
        current = self.focused_tile
        index = tiles.index(current) if current in tiles else -1
        if index < 0:
            target = 0
        else:
            step = dx + dy * (1 if self.zoomed else self.columns)
            target = min(max(index + step, 0), len(tiles) - 1)
        self.focus_tile(tiles[target])

    def on_pane_tile_selected(self, message: PaneTile.Selected) -> None:
        if message.tile is not self._selected:  # a click: select it, then let it bubble
            self.focus_tile(message.tile)
        if not self.has_focus:  # focus() repaints the whole grid even when it has focus
            self.focus()

    def action_zoom(self) -> None:
        current = self.focused_tile
        self.zoom(None if self.zoomed or current is None else current)
