"""Whose permission dialog is it: the approval policy's (still deciding) or a person's?

Claude Code asks agenttui's policy through its PermissionRequest hook. Release 2.1.3xx draws
the dialog as it starts the hook, so a dialog on screen alone does not mean a person is
needed: while the hook decides, the agent is ``working`` (detail ``policy: deciding``). Only
when the hook declined (``undecided``), or did not answer within its budget, is the dialog
``awaiting_approval``. The hook events of one tool call, in order:

``tool_start`` (PreToolUse, before any dialog) → ``permission`` (the hook started) →
``answered`` (the policy decided) or ``undecided`` (left to a person) → ``tool_done``.

Pure, like the classifier that calls it: events come newest first, with their age.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workflows.agents.state import AgentState, HookEvent, StateReading

PERMISSION_HOOK_TIMEOUT_S = 10
"""Claude Code's timeout for agenttui's PermissionRequest hook (the generated settings)."""
POLICY_BUDGET_S = PERMISSION_HOOK_TIMEOUT_S + 2.0
"""A dialog whose tool call began this long ago without a verdict is a person's: the hook
has been cut off by its timeout (Claude then leaves the dialog to a person) or never ran."""
SEQUENCE = frozenset({"tool_start", "permission", "answered", "undecided", "tool_done"})
"""The events of a tool call; a turn's ``submit``/``stop`` end any earlier call's."""
TURN = frozenset({"submit", "stop"})


def approval_detail(payload: dict[str, Any]) -> dict[str, Any]:
    """tool and command/file from a permission hook payload (Claude Code's tool_input)."""
    detail: dict[str, Any] = {}
    if payload.get("tool_name"):
        detail["tool"] = str(payload["tool_name"])
    tool_input = payload.get("tool_input")
    if isinstance(tool_input, dict):
        for key in ("command", "file_path", "path", "url", "pattern"):
            if tool_input.get(key):
                detail["command" if key == "command" else "file"] = str(tool_input[key])
                break
    return detail


def policy_reading(
    events: Sequence[HookEvent], screen_detail: dict[str, Any] | None
) -> StateReading | None:
    """The reading for an agent with a permission hook while a dialog may be involved.

    ``screen_detail`` is the detail of an approval dialog on screen, None when the screen
    shows none. None back: the events say nothing about a dialog (the screen decides).
    """
    latest = next((e for e in events if e.kind in SEQUENCE | TURN), None)
    if latest is None or latest.kind in TURN or latest.kind == "tool_done":
        return None
    on_screen = screen_detail is not None
    asked = _permission_before(events, latest)
    detail = {**(screen_detail or {}), **(approval_detail(asked.payload) if asked else {})}
    if latest.kind in ("tool_start", "permission"):
        if latest.kind == "tool_start" and not on_screen:
            return None  # the tool runs (or its dialog is not drawn yet): the screen says
        if latest.age_s < POLICY_BUDGET_S:
            deciding = {**detail, "policy": "deciding"}
            return StateReading(
                AgentState.WORKING, deciding, "hook", recheck_in=POLICY_BUDGET_S - latest.age_s
            )
        late = f"the permission hook gave no answer within {POLICY_BUDGET_S:.0f}s"
        return StateReading(AgentState.AWAITING_APPROVAL, {**detail, "policy": late}, "hook")
    if latest.kind == "undecided":
        reason = str(latest.payload.get("reason") or "no rule decides this request")
        return StateReading(AgentState.AWAITING_APPROVAL, {**detail, "policy": reason}, "hook")
    # answered: the agent takes the dialog down once the hook's process has ended and it has
    # redrawn (seconds on a loaded machine); one still drawn after the budget is a person's.
    if on_screen and latest.age_s < POLICY_BUDGET_S:
        refused = latest.payload.get("action") == "deny"
        state = AgentState.IDLE if refused else AgentState.WORKING
        answered = {**detail, "policy": "answered"}
        return StateReading(state, answered, "hook", recheck_in=POLICY_BUDGET_S - latest.age_s)
    return None


def _permission_before(events: Sequence[HookEvent], latest: HookEvent) -> HookEvent | None:
    """The ``permission`` event of the tool call ``latest`` belongs to (events newest first):
    ``latest`` itself, or for a verdict the request just before it."""
    if latest.kind == "permission":
        return latest
    if latest.kind not in ("answered", "undecided"):
        return None  # a tool call that has not asked yet
    position = next(i for i, event in enumerate(events) if event is latest)
    for event in events[position + 1 :]:
        if event.kind == "permission":
            return event
        if event.kind in SEQUENCE | TURN:
            return None  # another call's event first: this verdict's request is not stored
    return None
