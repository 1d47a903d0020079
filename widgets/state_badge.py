"""StateBadge: an agent's state as a short coloured label."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

LABELS = {
    "starting": "starting",
    "idle": "idle",
    "working": "working",
    "awaiting_approval": "APPROVE?",
    "asking": "ASKING",
    "trust": "trust?",
    "blocked": "BLOCKED",
    "exited": "exited",
    "unknown": "?",
}
STYLES = {
    "starting": "dim",
    "idle": "green",
    "working": "bold cyan",
    "awaiting_approval": "bold black on yellow",
    "asking": "bold black on yellow",
    "trust": "bold black on yellow",
    "blocked": "bold white on red",
    "exited": "dim red",
    "unknown": "dim",
}


def badge_text(state: str) -> Text:
    """The badge as Rich text (also used in border subtitles and tables)."""
    return Text(f" {LABELS.get(state, state)} ", style=STYLES.get(state, ""))


class StateBadge(Widget):
    """Shows one agent state; ``state`` is a plain string (an ``AgentState`` value)."""

    DEFAULT_CSS = """
    StateBadge {
        width: auto;
        height: 1;
    }
    """

    state: reactive[str] = reactive("unknown")
    """The agent state shown."""

    def __init__(self, state: str = "unknown", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.set_reactive(StateBadge.state, state)

    def render(self) -> Text:
        return badge_text(self.state)
