"""The agents screen: a live tile per agent pane, one-key actions on the selected tile
(tui/screens/tile_screen.py), and starting a new agent."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from tui.host import host
from tui.screens.tile_screen import APPROVABLE, INTERRUPTIBLE, TileScreen
from widgets.glance_bar import GlanceBar
from widgets.key_bar import KeyBar
from widgets.pane_tile import TileInfo
from widgets.tile_grid import TileGrid

__all__ = ["APPROVABLE", "INTERRUPTIBLE", "AgentsScreen"]


class AgentsScreen(TileScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_agent", "New agent", id="agents.new"),
    ]

    def __init__(self) -> None:
        super().__init__(id="agents")

    def compose(self) -> ComposeResult:
        yield GlanceBar()
        yield Static(
            "No agent panes yet: launch a run from the issues screen (1), or n starts an agent.",
            id="empty",
        )
        yield TileGrid(id="tiles")
        yield KeyBar()

    def on_mount(self) -> None:
        self.follow_tiles()

    def tiles_changed(self, infos: list[TileInfo]) -> None:
        self.query_one("#empty").display = not infos

    # -- start an agent ----------------------------------------------------------------
    def action_new_agent(self) -> None:
        self.ask_new_agent()

    @work(group="new-agent")
    async def ask_new_agent(self) -> None:
        from tui.screens.start_agent import StartAgentScreen

        services = host(self).services
        choices = await self.run_worker(
            services.start_choices, thread=True, group="start-choices"
        ).wait()
        request = await self.app.push_screen_wait(StartAgentScreen(choices, services.reach))
        if request is not None:
            self.start_agent(request)

    @work(thread=True, group="tile-actions")
    def start_agent(self, request: object) -> None:
        services = host(self).services
        self.app.call_from_thread(self.notify, f"starting {getattr(request, 'profile', '')}…")
        try:
            said = services.start_agent(request)
        except Exception as error:
            self.app.call_from_thread(
                self.notify, f"could not start the agent: {error}", severity="error"
            )
            return
        self.app.call_from_thread(self.notify, said)
        self.app.call_from_thread(host(self).load_tiles)
