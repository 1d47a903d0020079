"""What every screen showing agent tiles shares: the mirror plumbing and the tile keys.

The app owns the mirrors (one per tmux target: here and each host with agents) and polls
agent states; a tile screen shows the tiles it ``wants`` (the agents screen: all; a run's
detail: that run's), tells the mirrors which panes can be seen while it is the current
screen, and acts on the selected tile: approve, deny, interrupt, attach, talk (the verified
send), kill a live agent, close an exited one. Tiles and actions go by pane key
(``TileInfo.key``: host and pane id), so each reaches its own host's tmux.
"""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui.host import host
from tui.screens.confirm import ConfirmScreen
from widgets.pane_tile import PaneTile, TileInfo
from widgets.tile_grid import TileGrid
from workflows.tmux.mirror_screen import PaneModel
from workflows.tmux.mirror_set import MirrorSet

APPROVABLE = ("awaiting_approval", "trust")
VISIBLE_RESYNC_S = 1.0
INTERRUPTIBLE = ("working", "awaiting_approval", "asking", "blocked", "starting", "unknown")
TILE_ACTIONS = ("tile", "attach", "open_log", "talk", "kill", "close")


class TileScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "tile('approve')", "Approve", id="tile.approve"),
        Binding("A", "tile('approve_always')", "Always", id="tile.approve_always"),
        Binding("d", "tile('deny')", "Deny", id="tile.deny"),
        Binding("x", "tile('interrupt')", "Interrupt", id="tile.interrupt"),
        Binding("t", "talk", "Talk", id="tile.talk"),
        Binding("enter", "attach", "Attach", id="tile.attach"),
        Binding("L", "open_log", "Log", id="tile.log"),
        Binding("K", "kill", "Kill", id="tile.kill"),
        Binding("c", "close", "Close", id="tile.close"),
        Binding("C", "close_exited", "Close exited", id="tiles.close_exited"),
        Binding("w", "next_waiting", "Next waiting", id="tiles.next_waiting"),
    ]

    @property
    def grid(self) -> TileGrid:
        return self.query_one(TileGrid)

    @property
    def mirrors(self) -> MirrorSet:
        return host(self).mirrors

    def follow_tiles(self) -> None:
        """Show the app's tiles now and whenever they change; repaint what the mirror updates
        (both end with this screen)."""
        self.watch(self.app, "tile_infos", self.show_tiles)
        host(self).panes_changed.subscribe(self, self.repaint)
        # Which tiles are on screen is known only after a refresh; should every event that
        # re-tells the mirror come before that (a busy machine), a tile would stay blank
        # until its agent printed again. Re-telling it each second costs nothing if unchanged.
        self.set_interval(VISIBLE_RESYNC_S, self._update_visible)

    def wants(self, info: TileInfo) -> bool:
        """Whether this screen shows a tile for ``info``."""
        return True

    def tiles_shown(self) -> bool:
        """Whether the tiles can be seen now (a screen may hide them behind a tab)."""
        return True

    def on_screen_resume(self) -> None:
        self._update_visible()

    def on_screen_suspend(self) -> None:
        self.mirrors.set_visible([], None)  # nobody sees the tiles: capture nothing

    # -- mirror (owned by the app) -----------------------------------------------------
    def repaint(self, changed: set[str]) -> None:
        """The mirror updated these panes: repaint the changed rows of visible tiles."""
        for tile in self.grid.visible_tiles():
            if tile.info.key in changed:
                tile.view.refresh_changed()

    def model_for(self, key: str) -> PaneModel:
        return self.mirrors.model(key)

    def _update_visible(self, *, models: bool = True) -> None:
        """Tell the mirrors which panes can be seen and which one is focused; with
        ``models``, first give every tile its pane's model (tiles came, or a mirror)."""
        mirrors = self.mirrors
        if not mirrors.hosts or not self.is_current:
            return
        for tile in self.grid.tiles if models else ():
            model = mirrors.mirrored(tile.info.key)
            if model is not None and tile.view.model is not model:
                tile.view.set_model(model)
        focused = self.grid.focused_tile
        shown = self.tiles_shown()
        visible = self.grid.visible_tiles() if shown else []
        mirrors.set_visible(
            [tile.info.key for tile in visible],
            focused.info.key if focused and shown else None,
            {tile.info.key: tile.view.size.height for tile in visible},  # rows captured
        )

    def on_tile_grid_layout(self, _message: TileGrid.Layout) -> None:
        self._update_visible()
        self.call_after_refresh(self._update_visible, models=False)  # the tiles' new heights

    def on_pane_tile_selected(self, _message: PaneTile.Selected) -> None:
        self._update_visible(models=False)  # a key press: only the focused pane changed

    # -- tiles and states (the app polls; this screen shows) ---------------------------
    def show_tiles(self, infos: list[TileInfo]) -> None:
        infos = [info for info in infos if self.wants(info)]
        self.tiles_changed(infos)
        if self.grid.sync(infos, self.model_for):
            self.call_after_refresh(host(self).freeze_heap)
        self._update_visible()
        if self.grid.focused_tile is None and infos and self.app.screen is self:
            self.call_after_refresh(self._focus_first)
        self.refresh_bindings()

    def tiles_changed(self, infos: list[TileInfo]) -> None:
        """Hook: the tiles about to be shown (e.g. to say there are none)."""

    def _focus_first(self) -> None:
        tiles = self.grid.tiles
        # Selecting a tile focuses the grid, which would bring a hidden tab to the front.
        if tiles and self.grid.focused_tile is None and self.tiles_shown():
            self.grid.focus_tile(tiles[0])
            self.grid.focus()

    # -- actions on the focused tile -------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action not in (*TILE_ACTIONS, "next_waiting", "close_exited"):
            return True
        shown = self.is_mounted and self.tiles_shown()
        tile = self.grid.focused_tile if shown else None
        if action == "next_waiting":
            return shown and any(each.info.waiting for each in self.grid.tiles)
        if action == "close_exited":
            return shown and any(each.info.state == "exited" for each in self.grid.tiles)
        if tile is None:
            return False
        if tile.info.unreachable:  # nothing reaches its host now: only its run's log
            return action == "open_log" and bool(tile.info.run_id)
        state = tile.info.state
        if action == "tile":
            kind = str(parameters[0]) if parameters else ""
            if kind in ("approve", "approve_always", "deny"):
                return state in APPROVABLE
            return state in INTERRUPTIBLE
        if action == "open_log":
            return bool(tile.info.run_id)
        if action == "talk":
            return state not in ("exited", "starting")
        if action == "kill":
            return state != "exited"
        if action == "close":
            return state == "exited"
        return not self.app.is_web  # attach: a browser has no terminal to hand over

    def action_tile(self, kind: str) -> None:
        tile = self.grid.focused_tile
        if tile is not None:
            self.perform(tile.info.key, tile.info.name, kind)

    @work(thread=True, group="tile-actions")
    def perform(self, key: str, name: str, kind: str) -> None:
        if kind == "approve_always":  # agenttui learns the rule, shown first (approvals)
            self._propose_always(key, name)
            return
        try:
            detail = host(self).services.tile_action(key, kind)
        except Exception as error:
            self.app.call_from_thread(self.notify, f"{name}: {error}", severity="error")
            return
        self.app.call_from_thread(self.notify, detail)
        self.app.call_from_thread(host(self).load_tiles)

    def _propose_always(self, key: str, name: str) -> None:
        from tui.screens.learn_rule import LearnRuleScreen

        services = host(self).services
        try:
            proposal = services.always_proposal(key)
        except Exception as error:
            self.app.call_from_thread(self.notify, f"{name}: {error}", severity="error")
            return

        def answered(save: bool | None) -> None:
            if save:
                self.confirm_always(key, name, proposal)
            else:
                self.notify(f"{name}: nothing learned; the request still waits")

        self.app.call_from_thread(
            self.app.push_screen, LearnRuleScreen(proposal, agent=name), answered
        )

    @work(thread=True, group="tile-actions")
    def confirm_always(self, key: str, name: str, proposal: object) -> None:
        try:
            detail = host(self).services.confirm_always(key, proposal)
        except Exception as error:
            self.app.call_from_thread(self.notify, f"{name}: {error}", severity="error")
            return
        self.app.call_from_thread(self.notify, f"learned and approved: {detail}")
        self.app.call_from_thread(host(self).load_tiles)

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
            self.attach(tile.info.key)

    @work(thread=True, exclusive=True, group="attach")
    def attach(self, key: str) -> None:
        """The agent fills the person's terminal until they detach (prefix d), which
        always brings them back here; then it gets its own size back (``tui.attach``)."""
        services = host(self).services
        size = None
        try:
            size = services.window_size(key)
            if services.inside_same_tmux():  # a popup here (over ssh for a host's pane)
                services.attach_in_popup(key)
            else:
                argv = services.attach_argv(key)
                self.app.call_from_thread(host(self).run_external, argv)
        except Exception as error:
            self.app.call_from_thread(self.notify, f"attach: {error}", severity="error")
        finally:
            if size is not None:
                try:
                    services.end_attach(size, key)
                except Exception as error:  # the agent's window went away meanwhile
                    self.app.call_from_thread(self.notify, f"attach: {error}", severity="warning")

    def action_open_log(self) -> None:
        tile = self.grid.focused_tile
        if tile is not None and tile.info.run_id:
            host(self).open_run_log(tile.info.run_id)

    # -- talk: a line of text through the verified send ----------------------------------
    def action_talk(self) -> None:
        from tui.screens.talk import TalkScreen

        tile = self.grid.focused_tile
        if tile is None:
            return
        key, name = tile.info.key, tile.info.name

        def answered(text: str | None) -> None:
            if text:
                self.tile_notice(key, "sending…")
                self.talk(key, name, text)

        self.app.push_screen(TalkScreen(name), answered)

    @work(thread=True, group="tile-actions")
    def talk(self, key: str, name: str, text: str) -> None:
        try:
            said = host(self).services.send_to_agent(key, text)
        except Exception as error:
            self.app.call_from_thread(self.tile_notice, key, f"✗ {error}", error=True)
            return
        self.app.call_from_thread(self.tile_notice, key, f"✓ {said}")
        self.app.call_from_thread(host(self).load_tiles)

    def tile_notice(self, key: str, text: str, *, error: bool = False) -> None:
        for tile in self.grid.tiles:
            if tile.info.key == key:
                tile.show_notice(text, error=error)

    # -- lifecycle: kill a live agent, close an exited one -------------------------------
    def action_kill(self) -> None:
        tile = self.grid.focused_tile
        if tile is not None:
            self._confirm_end(tile.info, kill=True)

    def action_close(self) -> None:
        tile = self.grid.focused_tile
        if tile is not None:
            self._confirm_end(tile.info, kill=False)

    def _confirm_end(self, info: TileInfo, *, kill: bool) -> None:
        where = f"pane {info.pane_id}{on_host(info)}"
        where += f", run {info.run_id}" if info.run_id else ""
        if kill:
            title = f"Kill agent {info.name}?"
            lines = [
                f"{info.name} ({info.agent or 'agent'}, {where}) is {info.state}.",
                "Its process is ended and its tmux window closes; what it did not save is lost.",
            ]
            if info.run_id:
                lines.append(f"Run {info.run_id} fails if it is still waiting for this agent.")
        else:
            title = f"Close {info.name}?"
            lines = [
                f"{info.name} ({where}) has exited{exit_text(info.detail)}.",
                "Its tmux window closes, with the last screen it printed.",
            ]

        def answered(yes: bool | None) -> None:
            if yes:
                self.end_agent(info.key, info.name, "killed" if kill else "closed")

        confirm = "Kill" if kill else "Close"
        self.app.push_screen(ConfirmScreen(title, lines, confirm=confirm), answered)

    def action_close_exited(self) -> None:
        exited = [tile.info for tile in self.grid.tiles if tile.info.state == "exited"]
        if not exited:
            return
        lines = [f"{info.name} ({info.pane_id}{on_host(info)})" for info in exited]
        lines.append("Their tmux windows close; agents still running are not touched.")

        def answered(yes: bool | None) -> None:
            for info in exited if yes else ():
                self.end_agent(info.key, info.name, "closed")

        title = f"Close {len(exited)} exited agent{'s' if len(exited) > 1 else ''}?"
        self.app.push_screen(ConfirmScreen(title, lines, confirm="Close"), answered)

    @work(thread=True, group="tile-actions")
    def end_agent(self, key: str, name: str, what: str) -> None:
        try:
            host(self).services.end_agent(key)
        except Exception as error:
            self.app.call_from_thread(self.notify, f"{name}: {error}", severity="error")
            return
        self.app.call_from_thread(self.notify, f"{name} {what}")
        self.app.call_from_thread(host(self).load_tiles)


def on_host(info: TileInfo) -> str:
    """ " on host NAME" for an agent on a host, else ""."""
    return f" on host {info.host}" if info.host else ""


def exit_text(detail: dict[str, object]) -> str:
    """ " with status 1" / " on signal 9" for an exited agent's detail, else ""."""
    if detail.get("status") is not None:
        return f" with status {detail['status']}"
    if detail.get("signal") is not None:
        return f" on signal {detail['signal']}"
    return ""
