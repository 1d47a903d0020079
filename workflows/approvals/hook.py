"""The policy behind Claude Code's hooks (``agenttui hook claude``).

PermissionRequest runs when Claude is about to show a permission dialog; printing
``{"hookSpecificOutput": {"hookEventName": "PermissionRequest", "decision": {...}}}`` with
``{"behavior": "allow"}`` or ``{"behavior": "deny", "message": …}`` answers it without a key
being pressed, and printing nothing leaves the dialog to a person.

PreToolUse runs before every tool call, including the ones Claude allows by itself
(``cat .env`` inside the project never shows a dialog): there only the hard deny-list
speaks, with ``permissionDecision: "deny"``, or ``"ask"`` with the reason for what it cannot
judge (``rm -rf "$DIR"``); everything else goes on as Claude decides.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from workflows.approvals import decide
from workflows.approvals.worktree import RunWorktree, pane_run_id, worktree_for
from workflows.base.errors import AgentTuiError


def _tool_call(payload: dict[str, Any]) -> tuple[str, dict[str, Any], str] | None:
    """The tool, its input and the directory it runs in, from a hook payload (None if malformed)."""
    tool = payload.get("tool_name")
    tool_input = payload.get("tool_input")
    if not isinstance(tool, str) or not isinstance(tool_input, dict):
        return None
    cwd = payload.get("cwd")
    return tool, tool_input, cwd if isinstance(cwd, str) else os.getcwd()


def permission_verdict(
    agent: str, payload: dict[str, Any], run_worktree: RunWorktree
) -> dict[str, Any] | None:
    """The hook decision for one PermissionRequest payload, or None to ask a person.

    A broken policy file never blocks an agent silently: the error goes to the hook's
    stderr (Claude Code shows it) and the request is left to a person.
    """
    from workflows.agents.hooks import record_event
    from workflows.base.store import Store

    call = _tool_call(payload)
    if call is None:
        _left_to_person(agent, "the request names no tool (malformed hook payload)")
        return None
    tool, tool_input, directory = call
    worktree = worktree_for(directory, pane_run_id(), run_worktree)
    try:
        decision = decide(tool, tool_input, directory, agent, worktree=worktree)
    except AgentTuiError as error:
        print(f"agenttui approvals: {error}", file=sys.stderr)
        _left_to_person(agent, f"the policy could not be read: {error}")
        return None
    if not decision.final:
        _left_to_person(agent, decision.reason, decision.decided_by)
        return None
    # The dialog is handled and the agent goes on (a refusal goes back to the model).
    record_event(
        Store(),
        agent=agent,
        kind="answered",
        payload={"action": f"policy-{decision.behavior}", "by": decision.decided_by},
    )
    if decision.behavior == "allow":
        return {"behavior": "allow"}
    if decision.behavior == "deny":
        message = f"agenttui policy refused this ({decision.decided_by}: {decision.reason})"
        return {"behavior": "deny", "message": message}
    return None


def _left_to_person(agent: str, reason: str, by: str = "") -> None:
    """Tell the classifier the policy will not answer this dialog: it is a person's now."""
    from workflows.agents.hooks import record_event
    from workflows.base.store import Store

    record_event(Store(), agent=agent, kind="undecided", payload={"reason": reason, "by": by})


def pre_tool_verdict(
    agent: str, payload: dict[str, Any], agent_kind: str, run_worktree: RunWorktree
) -> dict[str, Any] | None:
    """Refuse a deny-listed tool call before it runs (audited); None lets it go on.

    A call the deny-list cannot judge (``rm -rf "$DIR"``) is put to a person: Claude Code
    shows its dialog with the reason (``permissionDecision: "ask"``; the PermissionRequest
    that follows audits it). Other agents' PreToolUse hooks cannot ask (Codex runs the call
    when told "ask"), so there it is refused, and the reason says why.
    """
    from workflows.approvals import audit
    from workflows.approvals.denylist import check_tool
    from workflows.approvals.paths import PathContext
    from workflows.base.store import Store

    call = _tool_call(payload)
    if call is None:
        return None
    tool, tool_input, directory = call
    ctx = PathContext.for_cwd(directory, worktree_for(directory, pane_run_id(), run_worktree))
    hit = check_tool(tool, tool_input, ctx)
    if hit is None:
        return None
    if hit.behavior == "ask" and agent_kind == "claude":
        return pre_tool_output(
            "ask", f"agenttui policy asks a person (deny-list-ask:{hit.category}: {hit.detail})"
        )
    detail = hit.detail
    if hit.behavior == "ask":
        detail += f"; {agent_kind or 'this agent'}'s hook cannot ask a person, so it is refused"
    audit.record(
        Store(),
        agent=agent,
        tool=tool,
        tool_input=tool_input,
        decision="deny",
        decided_by=f"deny-list:{hit.category}",
        reason=detail,
        cwd=directory,
    )
    return pre_tool_output(
        "deny", f"agenttui policy refused this (deny-list:{hit.category}: {detail})"
    )


def pre_tool_output(decision: str, reason: str) -> dict[str, Any]:
    """Claude Code's and Codex's PreToolUse hook output: ``deny`` or ``ask``, with the reason."""
    return {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": decision,
            "permissionDecisionReason": reason,
        }
    }
