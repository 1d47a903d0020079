"""The policy behind Claude Code's PermissionRequest hook (``agenttui hook claude``).

Claude Code runs the hook when it is about to show a permission dialog; printing
``{"hookSpecificOutput": {"hookEventName": "PermissionRequest", "decision": {...}}}`` with
``{"behavior": "allow"}`` or ``{"behavior": "deny", "message": …}`` answers it without a key
being pressed, and printing nothing leaves the dialog to a person.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from workflows.approvals import decide
from workflows.approvals.worktree import pane_run_id, worktree_for
from workflows.errors import AgentTuiError


def permission_verdict(agent: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The hook decision for one PermissionRequest payload, or None to ask a person.

    A broken policy file never blocks an agent silently: the error goes to the hook's
    stderr (Claude Code shows it) and the request is left to a person.
    """
    tool = payload.get("tool_name")
    tool_input = payload.get("tool_input")
    if not isinstance(tool, str) or not isinstance(tool_input, dict):
        return None
    cwd = payload.get("cwd")
    directory = cwd if isinstance(cwd, str) else os.getcwd()
    worktree = worktree_for(directory, pane_run_id())
    try:
        decision = decide(tool, tool_input, directory, agent, worktree=worktree)
    except AgentTuiError as error:
        print(f"agenttui approvals: {error}", file=sys.stderr)
        return None
    if decision.behavior == "allow":
        return {"behavior": "allow"}
    if decision.behavior == "deny":
        message = f"agenttui policy refused this ({decision.decided_by}: {decision.reason})"
        return {"behavior": "deny", "message": message}
    return None
