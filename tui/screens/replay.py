"""A run's recorded agent panes played back in the app (``P`` in a run's detail).

The recording is read off the UI loop, then a timer moves the player on; only what draws
reaches the view (workflows.runs.recording.replay). Idle stretches are cut to two seconds, as
`agenttui replay` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from widgets.key_bar import KeyBar
from widgets.screen_view import ScreenView
from workflows.base.errors import AgentTuiError
from workflows.runs.recording.replay import Player

TICK_S = 0.05
SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


class ReplayScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back", id="replay.back"),
        Binding("space", "pause", "Pause/play", id="replay.pause"),
        Binding("plus,equals_sign", "speed(1)", "Faster", id="replay.faster"),
        Binding("minus", "speed(-1)", "Slower", id="replay.slower"),
        Binding("e", "to_end", "End", id="replay.end"),
        Binding("r", "restart", "Restart", id="replay.restart"),
        Binding("n", "pick(1)", "Next agent", id="replay.next"),
        Binding("p", "pick(-1)", "Previous agent", id="replay.previous"),
    ]
    DEFAULT_CSS = """
    ReplayScreen #replay-title { height: 1; }
    """

    class Loaded(Message):
        def __init__(self, path: Path, player: Player | None, error: str = "") -> None:
            super().__init__()
            self.path = path
            self.player = player
            self.error = error

    def __init__(self, run_id: str, casts: list[Path]) -> None:
        super().__init__()
        self.run_id = run_id
        self.casts = casts
        self.index = 0
        self.player: Player | None = None
        self.paused = False
        self.speed = 1.0
        self.error = ""

    def compose(self) -> ComposeResult:
        yield Static(id="replay-title")
        yield ScreenView(id="replay-view")
        yield KeyBar()

    @property
    def view(self) -> ScreenView:
        return self.query_one(ScreenView)

    def on_mount(self) -> None:
        self.set_interval(TICK_S, self._tick)
        self.load(self.casts[self.index])

    @work(thread=True, exclusive=True, group="replay-load")
    def load(self, path: Path) -> None:
        """Read and check the file off the UI loop (a recording may be megabytes)."""
        from workflows.runs.recording.asciicast import read_cast

        try:
            header, events = read_cast(path)
        except (OSError, AgentTuiError) as error:  # BadCast names the file and line
            self.post_message(self.Loaded(path, None, str(error)))
            return
        self.post_message(self.Loaded(path, Player(header, events)))

    def on_replay_screen_loaded(self, message: Loaded) -> None:
        if message.path != self.casts[self.index]:
            return  # another agent was picked meanwhile
        self.player, self.error = message.player, message.error
        self.view.set_model(self.player.model if self.player else None)
        self._show_title()

    def _tick(self) -> None:
        player = self.player
        if player is None or self.paused or player.done:
            return
        if player.advance(TICK_S * self.speed):
            self.view.refresh_changed()
        self._show_title()

    def _show_title(self) -> None:
        name = self.casts[self.index].stem
        text = Text.assemble(("replay ", "dim"), (name, "bold"))
        if len(self.casts) > 1:
            text.append(f"  ({self.index + 1} of {len(self.casts)}: n/p)", style="dim")
        if self.error:
            text.append(f"  ✗ {self.error}", style="bold red")
        elif self.player is not None:
            player = self.player
            state = "ended" if player.done else "paused" if self.paused else "playing"
            text.append(
                f"  {player.position:.1f}/{player.length:.1f} s  ×{self.speed:g}  {state}",
                style="dim",
            )
        else:
            text.append("  reading…", style="dim")
        self.query_one("#replay-title", Static).update(text)

    # -- keys ------------------------------------------------------------------------
    def action_back(self) -> None:
        self.dismiss(None)

    def action_pause(self) -> None:
        self.paused = not self.paused
        self._show_title()

    def action_speed(self, step: int) -> None:
        at = min(range(len(SPEEDS)), key=lambda index: abs(SPEEDS[index] - self.speed))
        self.speed = SPEEDS[max(0, min(len(SPEEDS) - 1, at + step))]
        self._show_title()

    def action_to_end(self) -> None:
        if self.player is not None and self.player.to_end():
            self.view.refresh()
        self._show_title()

    def action_restart(self) -> None:
        self.action_pick(0)

    def action_pick(self, step: int) -> None:
        self.index = (self.index + step) % len(self.casts)
        self.player, self.error, self.paused = None, "", False
        self.view.set_model(None)
        self._show_title()
        self.load(self.casts[self.index])
