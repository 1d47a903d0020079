"""What ``agenttui hook`` does with one event: store it, and answer permission requests.

Claude Code passes the event JSON on stdin (``hook_event_name`` says which); Codex ``notify``
passes it as the last argument (``type`` says which). Both are stored verbatim under a
normalised kind. For a Claude ``PermissionRequest`` the approval policy may decide on the
spot; every ``PreToolUse`` goes to the deny-list.
"""

from __future__ import annotations

import json
import os
from typing import Any

from workflows.agents.hook_origin import RELAY_ENV, current_origin
from workflows.agents.hooks import CLAUDE_EVENTS, CODEX_EVENTS, record_event
from workflows.approvals.hook import permission_verdict, pre_tool_output, pre_tool_verdict
from workflows.approvals.relay_client import relayed
from workflows.approvals.worktree import RunWorktree
from workflows.base.store import Store


def handle_hook(
    agent_kind: str, name: str, raw: str, run_worktree: RunWorktree
) -> dict[str, Any] | None:
    """Record the event; return the JSON to print back to the agent, if any.

    ``run_worktree`` finds a run's worktree (it bounds the deletes of the run's agents). An
    agent on a host hands the event to the hook relay of the machine that started it
    (``AGENTTUI_HOOK_RELAY``), whose policy and store decide and keep it.
    """
    payload = _payload(raw)
    relay = os.environ.get(RELAY_ENV, "")
    if relay and current_origin() is None:
        answer = relayed(relay, agent_kind, name, raw, payload)
        if answer.reached:
            return answer.reply
        return unrelayed(agent_kind, name, payload, answer.problem)
    if payload.get("hook_event_name") == "PreToolUse":  # Claude Code and Codex alike
        _tool_started(name, payload)
        return pre_tool_verdict(name, payload, agent_kind, run_worktree)
    kind = _kind(agent_kind, payload)
    store = Store()
    record_event(store, agent=name, kind=kind, payload=payload)
    if kind == "permission" and agent_kind == "claude":
        decision = permission_verdict(name, payload, run_worktree)
        if decision is not None:
            return claude_permission_reply(decision)
    return None


def unrelayed(
    agent_kind: str, name: str, payload: dict[str, Any], problem: str
) -> dict[str, Any] | None:
    """The relay could not be asked: nothing is decided here (this host's own policy is
    never the one asked). The event is kept in this store (the starting machine fetches it);
    a tool call goes to a person, with the reason, and so does a permission dialog."""
    reason = (
        f"the policy of the machine that started this agent is out of reach: {problem}"
        " (`agenttui hosts` there says why)"
    )
    if payload.get("hook_event_name") == "PreToolUse":
        _tool_started(name, payload)
        if agent_kind == "claude":
            return pre_tool_output("ask", reason)
        cannot = f"{reason}; {agent_kind}'s hook cannot ask a person, so it is refused"
        return pre_tool_output("deny", cannot)
    kind = _kind(agent_kind, payload)
    store = Store()
    record_event(store, agent=name, kind=kind, payload=payload)
    if kind == "permission":
        record_event(store, agent=name, kind="undecided", payload={"reason": reason, "by": "relay"})
    return None


def _payload(raw: str) -> dict[str, Any]:
    try:
        payload = json.loads(raw) if raw.strip() else {}
    except ValueError:
        payload = {"unparsed": raw[:2000]}
    return payload if isinstance(payload, dict) else {"value": payload}


def _kind(agent_kind: str, payload: dict[str, Any]) -> str:
    """The stored kind of an event: Claude's ``hook_event_name``, Codex's ``type``."""
    if agent_kind == "claude":
        event_name = str(payload.get("hook_event_name", ""))
        return CLAUDE_EVENTS.get(event_name, event_name.lower() or "unknown")
    event_type = str(payload.get("type", ""))
    return CODEX_EVENTS.get(event_type, event_type or "unknown")


def _tool_started(name: str, payload: dict[str, Any]) -> None:
    """Every tool call: stored without its input (a Write's content can be large) so a
    dialog drawn next is known to be the policy's until its PermissionRequest answers
    (workflows/agents/policy_wait.py); only the deny-list answers it."""
    started: dict[str, Any] = {
        key: payload[key] for key in ("tool_name", "tool_use_id") if key in payload
    }
    record_event(Store(), agent=name, kind="tool_start", payload=started)


def claude_permission_reply(decision: dict[str, Any]) -> dict[str, Any]:
    """Claude Code's PermissionRequest hook output for a policy verdict."""
    return {"hookSpecificOutput": {"hookEventName": "PermissionRequest", "decision": decision}}
