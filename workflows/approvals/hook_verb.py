"""What ``agenttui hook`` does with one event: store it, and answer permission requests.

Claude Code passes the event JSON on stdin (``hook_event_name`` says which); Codex ``notify``
passes it as the last argument (``type`` says which). Both are stored verbatim under a
normalised kind. For a Claude ``PermissionRequest`` the approval policy may decide on the
spot; every ``PreToolUse`` goes to the deny-list.
"""

from __future__ import annotations

import json
from typing import Any

from workflows.agents.hooks import CLAUDE_EVENTS, CODEX_EVENTS, record_event
from workflows.approvals.hook import permission_verdict, pre_tool_verdict
from workflows.approvals.worktree import RunWorktree
from workflows.base.store import Store


def handle_hook(
    agent_kind: str, name: str, raw: str, run_worktree: RunWorktree
) -> dict[str, Any] | None:
    """Record the event; return the JSON to print back to the agent, if any.

    ``run_worktree`` finds a run's worktree (it bounds the deletes of the run's agents).
    """
    try:
        payload = json.loads(raw) if raw.strip() else {}
    except ValueError:
        payload = {"unparsed": raw[:2000]}
    if not isinstance(payload, dict):
        payload = {"value": payload}
    if payload.get("hook_event_name") == "PreToolUse":  # Claude Code and Codex alike
        # Every tool call: stored without its input (a Write's content can be large) so a
        # dialog drawn next is known to be the policy's until its PermissionRequest answers
        # (workflows/agents/policy_wait.py); only the deny-list answers it.
        started = {key: payload[key] for key in ("tool_name", "tool_use_id") if key in payload}
        record_event(Store(), agent=name, kind="tool_start", payload=started)
        return pre_tool_verdict(name, payload, agent_kind, run_worktree)
    if agent_kind == "claude":
        event_name = str(payload.get("hook_event_name", ""))
        kind = CLAUDE_EVENTS.get(event_name, event_name.lower() or "unknown")
    else:
        event_type = str(payload.get("type", ""))
        kind = CODEX_EVENTS.get(event_type, event_type or "unknown")
    store = Store()
    record_event(store, agent=name, kind=kind, payload=payload)
    if kind == "permission" and agent_kind == "claude":
        decision = permission_verdict(name, payload, run_worktree)
        if decision is not None:
            return claude_permission_reply(decision)
    return None


def claude_permission_reply(decision: dict[str, Any]) -> dict[str, Any]:
    """Claude Code's PermissionRequest hook output for a policy verdict."""
    return {"hookSpecificOutput": {"hookEventName": "PermissionRequest", "decision": decision}}
