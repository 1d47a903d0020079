"""A person's "always" on a pending dialog: show the generalised rule, then save and approve.

The agents' own "always" options (Claude's "Yes, and always allow…", Codex's ``p``) write
the agent's private settings, out of agenttui's sight and past its deny-list. This is the
agenttui way: :func:`pending_proposal` reads the dialog's request and returns the rule that
would be learned (for a UI to show); :func:`confirm` saves exactly that rule and approves
the request once with the profile's plain approve key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workflows.agents.observe import read_state
from workflows.agents.state import AgentState
from workflows.approvals import Proposal, learn, save_learned
from workflows.approvals.answer import answer
from workflows.base.errors import AgentTuiError

if TYPE_CHECKING:
    from workflows.agents.actions import ActionResult
    from workflows.tmux.driver import PaneInfo, TmuxDriver


def pending_proposal(driver: TmuxDriver, pane: PaneInfo, *, scope: str = "project") -> Proposal:
    """The rule "always" would add for the pane's pending request (nothing is saved)."""
    reading = read_state(driver, pane)
    command, file = reading.detail.get("command"), reading.detail.get("file")
    if reading.state is not AgentState.AWAITING_APPROVAL or not (command or file):
        raise AgentTuiError(
            f"{pane.name or pane.pane_id} has no pending request to approve "
            f"(state: {reading.state.value})"
        )
    if command:
        tool, tool_input = str(reading.detail.get("tool") or "Bash"), {"command": str(command)}
    else:
        tool, tool_input = str(reading.detail.get("tool") or "Edit"), {"file_path": str(file)}
    if driver.target.host is not None:
        # Its checkout is on the host: no project of this machine's (even at the same path)
        # is its, and the host's agents get only rules for every project (policy.load_rules).
        scope = "global"
    return learn(tool, tool_input, pane.cwd or "/", scope=scope)


def confirm(driver: TmuxDriver, pane: PaneInfo, shown: Proposal) -> ActionResult:
    """Save the rule the person saw, then approve this request once.

    Refuses when the pending request changed since the rule was shown.
    """
    current = pending_proposal(driver, pane, scope="project" if shown.project else "global")
    if (current.rule, current.learned_from) != (shown.rule, shown.learned_from):
        raise AgentTuiError(
            f"the pending request changed (now {current.learned_from!r}); nothing saved"
        )
    save_learned(shown, agent=pane.name)
    return answer(driver, pane, "approve")
