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
    BLOCKED = "blocked"  # stuck on a screen only a person can clear; detail says what and why
    EXITED = "exited"
    UNKNOWN = "unknown"

    @property
    def needs_person(self) -> bool:
        return self in (
            AgentState.AWAITING_APPROVAL,
            AgentState.ASKING,
            AgentState.TRUST,
            AgentState.BLOCKED,
        )


@dataclass(frozen=True)
class StateReading:
    """One observation of an agent: its state, details, and which signal decided it.

    ``detail`` holds e.g. ``{"tool": "Bash", "command": "ls"}`` for an approval,
    ``{"status": 0, "signal": None}`` for an exit and ``{"reason": "usage_limit", "resets":
    "3pm (UTC)", "lines": [...]}`` for a blocked agent. ``source`` is hook, screen, quiescence
    or tmux (pane dead). ``recheck_in``: the same inputs read this many seconds older may give
    another state (a hook's budget running out, quiet time adding up); None: they never will.
    """

    state: AgentState
    detail: dict[str, Any] = field(default_factory=dict)
    source: str = "screen"
    recheck_in: float | None = field(default=None, compare=False)

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state.value, "detail": self.detail, "source": self.source}

    def summary(self) -> str:
        """One line for a person: the state and what it is about (a run's log, ``runs``)."""
        detail = self.detail
        what = " ".join(str(detail[key]) for key in ("tool", "command", "file") if detail.get(key))
        if self.state is AgentState.BLOCKED:
            what = f"({detail.get('reason', '?')}) {detail.get('message', '')}".strip()
        elif not what:
            what = str(detail.get("question") or detail.get("message") or "")
        if detail.get("policy") and self.state is AgentState.AWAITING_APPROVAL:
            what += f" [policy: {detail['policy']}]"
        return f"{self.state.value}: {what}" if what else self.state.value


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
