"""A person's answer to an agent's dialog, sent with the profile's keys and audited.

The one way the app and the CLI act on an agent (approve, approve always, deny, interrupt):
:func:`workflows.agents.actions.perform` presses the keys when the agent's state allows it;
an approve or deny of a pending command is then written to the approval audit as a person's
decision (``agents`` sits below ``approvals`` and knows nothing of the audit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workflows.agents.actions import ActionResult, perform
from workflows.approvals import record_person

if TYPE_CHECKING:
    from workflows.base.store import Store
    from workflows.tmux.driver import PaneInfo, TmuxDriver

DECISIONS = {"approve": "allow", "approve_always": "allow", "deny": "deny"}


def answer(
    driver: TmuxDriver,
    target: str | PaneInfo,
    action: str,
    *,
    store: Store | None = None,
    confirm_timeout: float = 3.0,
) -> ActionResult:
    """Do ``action`` on the agent; audit a person's approve or deny of a pending command."""
    pane = driver.resolve(target) if isinstance(target, str) else target
    result = perform(driver, pane, action, store=store, confirm_timeout=confirm_timeout)
    detail = result.before.get("detail") or {}
    decision = DECISIONS.get(action)
    if decision and result.before.get("state") == "awaiting_approval" and detail.get("command"):
        record_person(
            str(detail.get("tool") or "Bash"),
            {"command": str(detail["command"])},
            pane.cwd or "/",
            pane.name or pane.pane_id,
            decision,
            store=store,
        )
    return result
