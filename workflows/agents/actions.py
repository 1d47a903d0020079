"""One-key actions on an agent: approve, approve always, deny, interrupt — with the profile's keys.

An answer is only sent when the agent is really asking (its state is ``awaiting_approval``,
or a question for ``deny``): pressing ``1`` on the wrong screen is how peers ran commands
nobody approved. Each answer is recorded as an ``answered`` event, so the classifier knows
the dialog was handled even before the screen redraws.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workflows.agents.hooks import record_event
from workflows.agents.observe import profile_for, read_state, server_for
from workflows.agents.state import AgentState
from workflows.errors import AgentTuiError, UsageError
from workflows.store import Store

if TYPE_CHECKING:
    from workflows.tmux.driver import PaneInfo, TmuxDriver

ACTIONS = ("approve", "approve_always", "deny", "interrupt")
ANSWERS_NEED = {
    "approve": (AgentState.AWAITING_APPROVAL,),
    "approve_always": (AgentState.AWAITING_APPROVAL,),
    "deny": (AgentState.AWAITING_APPROVAL, AgentState.ASKING),
}


@dataclass
class ActionResult:
    pane: str
    name: str
    action: str
    keys: list[str]
    before: dict[str, Any]
    after: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "pane": self.pane,
            "name": self.name,
            "action": self.action,
            "keys": self.keys,
            "before": self.before,
            "after": self.after,
        }

    def __str__(self) -> str:
        what = self.before.get("detail", {}).get("command") or ""
        state = self.after.get("state", "?")
        return f"{self.action} {self.name or self.pane}{f' ({what})' if what else ''} → {state}"


def perform(
    driver: TmuxDriver,
    target: str | PaneInfo,
    action: str,
    *,
    store: Store | None = None,
    confirm_timeout: float = 3.0,
) -> ActionResult:
    """Send the profile's keys for ``action`` if the agent's state allows it."""
    if action not in ACTIONS:
        raise UsageError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    pane = driver.resolve(target) if isinstance(target, str) else target
    label = pane.name or pane.pane_id
    profile = profile_for(pane)
    keys = profile.keys.get(action) or []
    if not keys:
        raise AgentTuiError(f"profile {profile.name!r} has no keys for {action}")
    events = store or Store()
    reading = read_state(driver, pane, store=events, profile=profile)
    if reading.state is AgentState.EXITED:
        raise AgentTuiError(f"{label} has exited ({reading.detail})")
    allowed = ANSWERS_NEED.get(action)
    if allowed is not None and reading.state not in allowed:
        raise AgentTuiError(
            f"{label} is not awaiting approval (state: {reading.state.value}); nothing to {action}"
        )
    driver.send_keys(pane.pane_id, *keys)
    if allowed is not None:
        record_event(
            events,
            agent=pane.name,
            kind="answered",
            payload={"action": action, "detail": reading.detail},
            pane_id=pane.pane_id,
            server=server_for(driver, pane.pane_id),
        )
    result = ActionResult(pane.pane_id, pane.name, action, keys, reading.as_json())
    result.after = _settled(driver, pane.pane_id, reading.state, events, confirm_timeout)
    return result


def _settled(
    driver: TmuxDriver, pane_id: str, before: AgentState, store: Store, timeout: float
) -> dict[str, Any]:
    """The state once it left ``before`` (or as it is when ``timeout`` runs out)."""
    deadline = time.monotonic() + timeout
    while True:
        pane = driver.resolve(pane_id)
        reading = read_state(driver, pane, store=store)
        if reading.state is not before or time.monotonic() > deadline:
            return reading.as_json()
        time.sleep(0.05)
