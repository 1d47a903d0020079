"""StateBadge: an agent's state as a short coloured label."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from workflows.agents.state import AgentState

LABELS: dict[str, str] = {
    AgentState.STARTING: "starting",
    AgentState.IDLE: "idle",
    AgentState.WORKING: "working",
    AgentState.AWAITING_APPROVAL: "APPROVE?",
    AgentState.ASKING: "ASKING",
    AgentState.TRUST: "trust?",
    AgentState.BLOCKED: "BLOCKED",
    AgentState.EXITED: "exited",
    AgentState.UNKNOWN: "?",
}
STYLES: dict[str, str] = {
    AgentState.STARTING: "dim",
    AgentState.IDLE: "green",
    AgentState.WORKING: "bold cyan",
    AgentState.AWAITING_APPROVAL: "bold black on yellow",
    AgentState.ASKING: "bold black on yellow",
    AgentState.TRUST: "bold black on yellow",
    AgentState.BLOCKED: "bold white on red",
    AgentState.EXITED: "dim red",
    AgentState.UNKNOWN: "dim",
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
