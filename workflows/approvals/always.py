"""A person's "always" on a pending dialog: show the generalised rule, then save and approve.

The agents' own "always" options (Claude's "Yes, and always allow…", Codex's ``p``) write
the agent's private settings, out of agenttui's sight and past its deny-list. This is the
agenttui way: :func:`pending_proposal` reads the dialog's request and returns the rule that
would be learned (for a UI to show); :func:`confirm` saves exactly that rule and approves
the request once with the profile's plain approve key.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from workflows.agents.observe import read_state
from workflows.agents.state import AgentState
from workflows.approvals import Proposal, learn, save_learned
from workflows.approvals.answer import answer
from workflows.approvals.host_project import host_agent_project
from workflows.approvals.worktree import RunRepo
from workflows.base.errors import AgentTuiError

if TYPE_CHECKING:
    from workflows.agents.actions import ActionResult
    from workflows.tmux.driver import PaneInfo, TmuxDriver


def pending_proposal(
    driver: TmuxDriver,
    pane: PaneInfo,
    *,
    scope: str = "project",
    run_repo: RunRepo | None = None,
) -> Proposal:
    """The rule "always" would add for the pane's pending request (nothing is saved).
    ``run_repo``: a run's repository here (a host's agent of a run learns for it)."""
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
    host = driver.target.host
    if host is not None and scope == "project":
        # Its checkout is on the host: the project of this machine's its hooks are decided
        # with (host_project), never one found at the same path here; none: every project.
        found = host_agent_project(host, pane.cwd or "/", pane.run_id, run_repo)
        if not found:
            return learn(tool, tool_input, pane.cwd or "/", scope="global")
        return learn(tool, tool_input, pane.cwd or "/", project=Path(found))
    return learn(tool, tool_input, pane.cwd or "/", scope=scope)


def confirm(
    driver: TmuxDriver, pane: PaneInfo, shown: Proposal, run_repo: RunRepo | None = None
) -> ActionResult:
    """Save the rule the person saw, then approve this request once.

    Refuses when the pending request changed since the rule was shown.
    """
    scope = "project" if shown.project else "global"
    current = pending_proposal(driver, pane, scope=scope, run_repo=run_repo)
    if (current.rule, current.learned_from, current.project) != (
        shown.rule,
        shown.learned_from,
        shown.project,
    ):
        raise AgentTuiError(
            f"the pending request changed (now {current.learned_from!r}); nothing saved"
        )
    save_learned(shown, agent=pane.name)
    return answer(driver, pane, "approve")
