"""The agents screen: a live tile per agent pane, and one-key actions on the focused tile."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Header, Static

from widgets.key_bar import KeyBar
from widgets.pane_tile import PaneTile, TileInfo
from widgets.tile_grid import TileGrid
from workflows.tmux.mirror import Mirror
from workflows.tmux.mirror_screen import PaneModel

APPROVABLE = ("awaiting_approval", "trust")
INTERRUPTIBLE = ("working", "awaiting_approval", "asking", "starting", "unknown")


class AgentsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "tile('approve')", "Approve", id="tile.approve"),
        Binding("A", "tile('approve_always')", "Always", id="tile.approve_always"),
        Binding("d", "tile('deny')", "Deny", id="tile.deny"),
        Binding("x", "tile('interrupt')", "Interrupt", id="tile.interrupt"),
        Binding("enter", "attach", "Attach", id="tile.attach"),
        Binding("L", "open_log", "Log", id="tile.log"),
        Binding("w", "next_waiting", "Next waiting", id="tiles.next_waiting"),
    ]

    def __init__(self) -> None:
        super().__init__(id="agents")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("No agent panes yet: launch a run from the issues screen (1).", id="empty")
        yield TileGrid(id="tiles")
        yield KeyBar()

    @property
    def grid(self) -> TileGrid:
        return self.query_one(TileGrid)

    @property
    def mirror(self) -> Mirror | None:
        return self.app.mirror  # type: ignore[attr-defined, no-any-return]

    def on_mount(self) -> None:
        self.show_tiles(self.app.tile_infos)  # type: ignore[attr-defined]

    def on_screen_resume(self) -> None:
        self._update_visible()

    def on_screen_suspend(self) -> None:
        if self.mirror is not None:  # nobody sees the tiles: capture nothing
            self.mirror.set_visible([], None)

    # -- mirror (owned by the app) -----------------------------------------------------
    def repaint(self, changed: set[str]) -> None:
        """The mirror updated these panes: repaint the changed rows of visible tiles."""
        for tile in self.grid.visible_tiles():
            if tile.info.pane_id in changed:
                tile.view.refresh_changed()

    def model_for(self, pane_id: str) -> PaneModel:
        return self.mirror.model(pane_id) if self.mirror is not None else PaneModel(pane_id)

    def _update_visible(self, *, models: bool = True) -> None:
        """Tell the mirror which panes can be seen and which one is focused; with
        ``models``, first give every tile its pane's model (tiles came, or the mirror)."""
        if self.mirror is None or not self.is_current:
            return
        for tile in self.grid.tiles if models else ():
            if tile.view.model is None or tile.view.model is not self.mirror.model(
                tile.info.pane_id
            ):
                tile.view.set_model(self.mirror.model(tile.info.pane_id))
        focused = self.grid.focused_tile
        self.mirror.set_visible(
            [tile.info.pane_id for tile in self.grid.visible_tiles()],
            focused.info.pane_id if focused else None,
        )

    def on_tile_grid_layout(self, _message: TileGrid.Layout) -> None:
        self._update_visible()

    def on_pane_tile_selected(self, _message: PaneTile.Selected) -> None:
        self._update_visible(models=False)  # a key press: only the focused pane changed

    # -- tiles and states (the app polls; this screen shows) ---------------------------
    def show_tiles(self, infos: list[TileInfo]) -> None:
        self.query_one("#empty").display = not infos
        if self.grid.sync(infos, self.model_for):
            self.call_after_refresh(self.app.freeze_heap)  # type: ignore[attr-defined]
        self._update_visible()
        if self.grid.focused_tile is None and infos and self.app.screen is self:
            self.call_after_refresh(self._focus_first)
        self.refresh_bindings()

    def _focus_first(self) -> None:
        tiles = self.grid.tiles
        if tiles and self.grid.focused_tile is None:
            self.grid.focus_tile(tiles[0])
            self.grid.focus()

    # -- actions on the focused tile -------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        tile = self.grid.focused_tile if self.is_mounted else None
        if action == "tile":
            if tile is None:
                return False
            kind = str(parameters[0]) if parameters else ""
            if kind in ("approve", "approve_always", "deny"):
                return tile.info.state in APPROVABLE
            return tile.info.state in INTERRUPTIBLE
        if action == "attach":
            return tile is not None
        if action == "open_log":
            return tile is not None and bool(tile.info.run_id)
        if action == "next_waiting":
            return any(each.info.waiting for each in self.grid.tiles)
        return True

    def action_tile(self, kind: str) -> None:
        tile = self.grid.focused_tile
        if tile is not None:
            self.perform(tile.info.pane_id, tile.info.name, kind)

    @work(thread=True, group="tile-actions")
    def perform(self, pane_id: str, name: str, kind: str) -> None:
        if kind == "approve_always":  # agenttui learns the rule, shown first (approvals)
            self._propose_always(pane_id, name)
            return
        try:
            detail = self.app.services.tile_action(pane_id, kind)  # type: ignore[attr-defined]
        except Exception as error:
            self.app.call_from_thread(self.notify, f"{name}: {error}", severity="error")
            return
        self.app.call_from_thread(self.notify, detail)
        self.app.call_from_thread(self.app.load_tiles)  # type: ignore[attr-defined]

    def _propose_always(self, pane_id: str, name: str) -> None:
        from tui.screens.learn_rule import LearnRuleScreen

        services = self.app.services  # type: ignore[attr-defined]
        try:
            proposal = services.always_proposal(pane_id)
        except Exception as error:
            self.app.call_from_thread(self.notify, f"{name}: {error}", severity="error")
            return

        def answered(save: bool | None) -> None:
            if save:
                self.confirm_always(pane_id, name, proposal)
            else:
                self.notify(f"{name}: nothing learned; the request still waits")

        self.app.call_from_thread(
            self.app.push_screen, LearnRuleScreen(proposal, agent=name), answered
        )

    @work(thread=True, group="tile-actions")
    def confirm_always(self, pane_id: str, name: str, proposal: object) -> None:
        try:
            detail = self.app.services.confirm_always(pane_id, proposal)  # type: ignore[attr-defined]
        except Exception as error:
            self.app.call_from_thread(self.notify, f"{name}: {error}", severity="error")
            return
        self.app.call_from_thread(self.notify, f"learned and approved: {detail}")
        self.app.call_from_thread(self.app.load_tiles)  # type: ignore[attr-defined]

    def action_next_waiting(self) -> None:
        tiles = self.grid.tiles
        current = self.grid.focused_tile
        start = tiles.index(current) + 1 if current in tiles else 0
        for tile in tiles[start:] + tiles[:start]:
            if tile.info.waiting:
                self.grid.focus_tile(tile)
                return

    def action_attach(self) -> None:
        tile = self.grid.focused_tile
        if tile is not None:
            self.attach(tile.info.pane_id)

    @work(thread=True, exclusive=True, group="attach")
    def attach(self, pane_id: str) -> None:
        services = self.app.services  # type: ignore[attr-defined]
        try:
            if services.inside_same_tmux():
                services.switch_to(pane_id)
                return
        except Exception as error:
            self.app.call_from_thread(self.notify, f"attach: {error}", severity="error")
            return
        argv = services.attach_argv(pane_id)
        self.app.call_from_thread(self.app.run_external, argv)  # type: ignore[attr-defined]

    def action_open_log(self) -> None:
        tile = self.grid.focused_tile
        if tile is not None and tile.info.run_id:
            self.app.open_run_log(tile.info.run_id)  # type: ignore[attr-defined]
