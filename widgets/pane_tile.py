"""PaneTile: one agent pane mirrored live, with its name, run, issue and state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static

from widgets.screen_view import ScreenView
from widgets.state_badge import badge_text
from workflows.agents.state import AgentState
from workflows.tmux.mirror_screen import PaneModel
from workflows.tmux.mirror_set import pane_key, split_key

WAITING_STATES = (
    AgentState.AWAITING_APPROVAL,
    AgentState.ASKING,
    AgentState.TRUST,
    AgentState.BLOCKED,
)
NOTICE_S = 8.0
ERROR_NOTICE_S = 60.0


@dataclass(frozen=True)
class TileInfo:
    """What a tile says about its pane besides the screen itself."""

    pane_id: str
    name: str
    agent: str = ""
    run_id: str = ""
    issue: str = ""
    state: AgentState = AgentState.UNKNOWN
    detail: dict[str, Any] = field(default_factory=dict)
    usage: str = ""  # the tokens and cost its transcript shows so far ("12.3k tok $0.42")
    host: str = ""  # the [hosts.NAME] whose tmux runs it; "" for this machine
    unreachable: str = ""  # why its host cannot be reached now (ssh's reason); "" if it can
    own_host: str = ""  # the host of the app's own target (app --host): shown, keyed as local

    @property
    def key(self) -> str:
        """The pane's key among all hosts (``mirror_set.pane_key``): two hosts' ``%3``
        are two tiles."""
        return pane_key(self.host, self.pane_id)

    @property
    def waiting(self) -> bool:
        """Waiting for a person who can answer now (not while its host is unreachable)."""
        return self.state in WAITING_STATES and not self.unreachable


class PaneTile(Widget):
    """One tile; the border carries name/run/issue (title) and state (subtitle).

    Tiles do not take keyboard focus: the grid does and marks one tile ``-selected``, so
    moving between tiles restyles two tiles instead of repainting the whole screen (a
    focus change repaints the screen in Textual)."""

    DEFAULT_CSS = """
    PaneTile {
        height: 1fr;
        min-height: 8;
        border: round $panel-lighten-2;
        border-title-color: $text;
        border-subtitle-color: $text;
        padding: 0;
    }
    PaneTile.-selected {
        border: round $accent;
    }
    PaneTile.-waiting {
        border: heavy $warning;
    }
    PaneTile.-waiting.-selected {
        border: double $warning;
    }
    PaneTile.-exited ScreenView {
        opacity: 60%;
    }
    PaneTile.-unreachable ScreenView {
        opacity: 40%;
    }
    PaneTile > .tile-notice {
        dock: bottom;
        height: auto;
        max-height: 3;
        display: none;
        background: $success 25%;
    }
    PaneTile > .tile-notice.-shown {
        display: block;
    }
    PaneTile > .tile-notice.-error {
        background: $error 35%;
    }
    """

    class Selected(Message):
        """The tile was selected (its pane is mirrored at the focused rate)."""

        def __init__(self, tile: PaneTile) -> None:
            super().__init__()
            self.tile = tile

        @property
        def control(self) -> PaneTile:
            return self.tile

    def __init__(self, info: TileInfo, model: PaneModel | None = None) -> None:
        super().__init__(id=tile_id(info.key))
        self.info = info
        self.view = ScreenView(model)  # kept: usable before the tile has composed
        self.notice = Static("", classes="tile-notice")
        self._notice_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield self.notice
        yield self.view

    def show_notice(self, text: str, *, error: bool = False) -> None:
        """A line over the bottom of the tile (what became of a message sent to the agent);
        it goes away by itself, an error later than a success."""
        self.notice.update(Text(text))
        self.notice.set_class(error, "-error")
        self.notice.add_class("-shown")
        if self._notice_timer is not None:
            self._notice_timer.stop()
        self._notice_timer = self.set_timer(
            ERROR_NOTICE_S if error else NOTICE_S, self.clear_notice
        )

    def _show_unreachable(self, reason: str) -> None:
        """Said on the tile for as long as its host cannot be reached."""
        if self._notice_timer is not None:
            self._notice_timer.stop()
            self._notice_timer = None
        self.notice.update(Text(f"host {self.info.host} unreachable: {reason}"))
        self.notice.add_class("-error", "-shown")

    def clear_notice(self) -> None:
        self.notice.remove_class("-shown")

    def on_mount(self) -> None:
        self._show_info()

    def update_info(self, info: TileInfo) -> None:
        if info != self.info:
            was_unreachable = self.info.unreachable
            self.info = info
            self._show_info()
            if was_unreachable and not info.unreachable:
                self.clear_notice()  # the host is back

    def _show_info(self) -> None:
        info = self.info
        title = Text(info.name or info.pane_id, style="bold")
        if info.host or info.own_host:
            title.append(f" @ {info.host or info.own_host}", style="bold")
        for extra in (info.issue, info.run_id and f"run {info.run_id}", info.agent):
            if extra:
                title.append(f" · {extra}", style="dim")
        self.border_title = title
        badge = badge_text(info.state)
        if info.unreachable:  # the last state known; the reason in full over the screen
            badge = Text(" host unreachable ", style="bold reverse red")
            self._show_unreachable(info.unreachable)
        self.border_subtitle = (
            Text.assemble(badge, (f"{info.usage} ", "dim")) if info.usage else badge
        )
        self.set_class(info.waiting, "-waiting")
        self.set_class(info.state == "exited", "-exited")
        self.set_class(bool(info.unreachable), "-unreachable")

    def on_click(self) -> None:
        self.post_message(self.Selected(self))


def tile_id(key: str) -> str:
    """A widget id for a pane key: ``tile-3`` here, ``tile-3-HOST`` on a host (any
    character an id cannot hold written as ``-<hex>-``, so two hosts never share one)."""
    host, pane_id = split_key(key)
    safe = "".join(
        c if c.isascii() and (c.isalnum() or c == "_") else f"-{ord(c):x}-" for c in host
    )
    return f"tile-{pane_id.lstrip('%')}" + (f"-{safe}" if host else "")
