"""The agent state model shared by the classifier, the CLI, the engine and the tiles."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class AgentState(StrEnum):
    STARTING = "starting"
    IDLE = "idle"
    WORKING = "working"
    AWAITING_APPROVAL = "awaiting_approval"
    ASKING = "asking"
    TRUST = "trust"  # a folder-trust dialog nobody is answering: a person must (detail: reason)
    EXITED = "exited"
    UNKNOWN = "unknown"

    @property
    def needs_person(self) -> bool:
        return self in (AgentState.AWAITING_APPROVAL, AgentState.ASKING, AgentState.TRUST)


@dataclass(frozen=True)
class StateReading:
    """One observation of an agent: its state, details, and which signal decided it.

    ``detail`` holds e.g. ``{"tool": "Bash", "command": "ls"}`` for an approval and
    ``{"status": 0, "signal": None}`` for an exit. ``source`` is hook, screen, quiescence
    or tmux (pane dead).
    """

    state: AgentState
    detail: dict[str, Any] = field(default_factory=dict)
    source: str = "screen"

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state.value, "detail": self.detail, "source": self.source}


@dataclass(frozen=True)
class HookEvent:
    """An event an agent's hook reported, as the classifier sees it.

    ``kind`` is normalised (``submit``, ``stop``, ``permission``, ``notification``,
    ``tool_done``, ``answered``, ``session_start``); ``payload`` is what the hook received;
    ``age_s`` is how long before the observation it was recorded (keeps the classifier pure).
    """

    kind: str
    payload: dict[str, Any] = field(default_factory=dict)
    age_s: float = 0.0
