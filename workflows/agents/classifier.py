"""The state classifier: a pure function from what we can observe to an agent's state.

Signals, strongest first (ARCHITECTURE "Agent state"):

1. tmux: a dead pane is ``exited`` with its status/signal, whatever else is visible.
2. Hook events the agent reported itself (Claude Code hooks, Codex ``notify``).
3. Screen rules from the agent's profile (first matching rule wins).
4. Quiescence: no rule matched, so output activity decides between working and idle; a
   quiet screen with no input box on it is a dialog nobody recognised: ``blocked``.

Hooks and screen are combined, not just ranked: a hook tells *what happened last*, the screen
tells *what is visible now*. A dialog on screen (approval, question, trust) always wins, since
hooks can lag it; an approval hook whose dialog is gone from the screen has been answered.
A trust dialog is ``trust`` (a person must answer) unless agenttui's start-up is at it.
One exception: a permission dialog the approval policy is still deciding through the agent's
hook is not a person's yet (:mod:`workflows.agents.policy_wait`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from workflows.agents.policy_wait import approval_detail, policy_reading
from workflows.agents.profiles import Profile, StateRule
from workflows.agents.state import AgentState, HookEvent, StateReading

HOOK_GRACE_S = 2.0
"""How long a fresh hook outranks a contradicting screen (the screen redraws a bit later)."""
TRUST_EVENTS = ("trust_watching", "trust_answering", "trust_answered", "trust_stuck")
"""Events agenttui's start-up records about a trust dialog (workflows.agents.startup)."""
BLOCKED_LINES = 12
"""How many of the screen's last lines a ``blocked`` reading carries (what a person sees)."""


def hook_state(event: HookEvent) -> tuple[AgentState, dict[str, Any]] | None:
    """What one hook event says about the agent, or None when it says nothing decisive."""
    payload = event.payload
    if event.kind == "answered":
        # A refusal ends the turn (both CLIs wait for new input); an approval resumes work.
        deny = payload.get("action") == "deny"
        return (AgentState.IDLE if deny else AgentState.WORKING), {}
    if event.kind in ("submit", "tool_start", "tool_done"):
        return AgentState.WORKING, {}
    if event.kind == "stop":
        return AgentState.IDLE, {}
    if event.kind in ("permission", "undecided"):  # see policy_wait for the whole sequence
        return AgentState.AWAITING_APPROVAL, approval_detail(payload)
    if event.kind == "notification":
        kind = str(payload.get("notification_type", ""))
        if kind == "permission_prompt":
            return AgentState.AWAITING_APPROVAL, {"message": str(payload.get("message", ""))}
        if kind == "elicitation_dialog":
            return AgentState.ASKING, {"message": str(payload.get("message", ""))}
    return None


def _rule_matches(rule: StateRule, lines: Sequence[str], title: str) -> bool:
    if rule.screen is None and rule.title is None:
        return False
    if rule.title is not None and not rule.title.search(title):
        return False
    if rule.screen is not None:
        visible = [line for line in lines if line.strip()]
        if rule.last_lines:
            visible = visible[-rule.last_lines :]
        if not rule.screen.search("\n".join(visible)):
            return False
    return True


def _rule_detail(rule: StateRule, text: str) -> dict[str, Any]:
    """The rule's fixed ``reason`` and each detail regex's first group that took part (one
    regex may offer alternatives for two releases' layouts), else its whole match; a value
    the screen wrapped over lines is joined back into one. The last match on the screen is
    the newest: an earlier limit message still in the transcript names a stale reset."""
    detail: dict[str, Any] = {"reason": rule.reason} if rule.reason else {}
    for key, pattern in rule.detail.items():
        matches = list(pattern.finditer(text))
        if not matches:
            continue
        match = matches[-1]
        groups = [group for group in match.groups() if group is not None]
        value = groups[0] if groups else None if match.groups() else match.group(0)
        if value is not None and value.strip():
            detail[key] = re.sub(r"\s*\n\s*", " ", value.strip())
    return detail


def screen_state(
    profile: Profile, lines: Sequence[str], title: str
) -> tuple[AgentState, dict[str, Any]] | None:
    """The first profile rule that matches the screen (and title), with its detail."""
    if profile.shows_trust(list(lines)):
        return AgentState.TRUST, {}
    rule = _first_rule(profile, lines, title)
    if rule is None:
        return None
    return AgentState(rule.state), _rule_detail(rule, "\n".join(lines))


def _first_rule(profile: Profile, lines: Sequence[str], title: str) -> StateRule | None:
    return next((rule for rule in profile.rules if _rule_matches(rule, lines, title)), None)


def _busy_by_title_alone(profile: Profile, lines: Sequence[str], title: str) -> bool:
    """Only the window title says the agent works (Gemini's stays "Working…" while a dialog
    waits): with no input box on screen either, the screen must speak for itself."""
    if profile.shows_trust(list(lines)):
        return False
    rule = _first_rule(profile, lines, title)
    return (
        rule is not None
        and rule.screen is None
        and rule.state == AgentState.WORKING.value
        and _unrecognised(profile, lines)
    )


def _latest_decisive(events: Sequence[HookEvent]) -> tuple[HookEvent, AgentState, dict[str, Any]]:
    for event in sorted(events, key=lambda e: e.age_s):
        implied = hook_state(event)
        if implied is not None:
            return event, implied[0], implied[1]
    raise LookupError


def classify(
    profile: Profile,
    lines: Sequence[str],
    title: str,
    events: Sequence[HookEvent],
    idle_seconds: float,
    *,
    dead: bool = False,
    dead_status: int | None = None,
    dead_signal: int | None = None,
) -> StateReading:
    """Classify one agent pane. Pure: same inputs, same reading."""
    if dead:
        return StateReading(
            AgentState.EXITED, {"status": dead_status, "signal": dead_signal}, "tmux"
        )
    seen = screen_state(profile, lines, title)
    if seen is not None and seen[0] is AgentState.TRUST:
        return trust_reading(profile, events)
    if _busy_by_title_alone(profile, lines, title):
        seen = None
    ordered = sorted(events, key=lambda event: event.age_s)
    dialog = seen is not None and seen[0] is AgentState.AWAITING_APPROVAL
    if profile.permission_hook and (seen is None or dialog):
        policy = policy_reading(ordered, seen[1] if seen is not None else None)
        if policy is not None:
            return policy
    if seen is not None and seen[0].needs_person:
        detail = dict(seen[1])
        hook = _hook_or_none(ordered)
        if hook is not None and hook[1] is seen[0]:
            detail.update(hook[2])  # the hook's payload is exact; the screen may be wrapped
        return StateReading(seen[0], detail, "screen")
    heard = any(event.kind not in TRUST_EVENTS for event in events)
    if seen is None and _unrecognised(profile, lines):
        return _quiescence(profile, lines, idle_seconds, started=heard)  # hooks lag a dialog
    hook = _hook_or_none(ordered)
    if hook is not None:
        return _combine(hook, seen)
    if seen is not None:
        return StateReading(seen[0], seen[1], "screen")
    return _quiescence(profile, lines, idle_seconds, started=heard)


def trust_reading(profile: Profile, events: Sequence[HookEvent]) -> StateReading:
    """A trust dialog on screen: ``starting`` while agenttui's start-up is answering it (its
    ``trust_answering`` event, within that event's budget, or just answered and not redrawn
    yet) or about to (``trust_watching``: it watches from launch, and other readers may see
    the dialog first), else ``trust``: waiting for a person, with the reason."""
    latest = min(
        (event for event in events if event.kind in TRUST_EVENTS),
        key=lambda event: event.age_s,
        default=None,
    )
    budget = float(latest.payload.get("budget_s", 0.0)) if latest is not None else 0.0
    watching = latest is not None and latest.kind in ("trust_watching", "trust_answering")
    if watching and latest is not None and latest.age_s < budget:
        wait = budget - latest.age_s
        return StateReading(AgentState.STARTING, {"trust": "being answered"}, "screen", wait)
    if latest is not None and latest.kind == "trust_answered" and latest.age_s < HOOK_GRACE_S:
        wait = HOOK_GRACE_S - latest.age_s
        return StateReading(AgentState.STARTING, {"trust": "answered"}, "screen", wait)
    if latest is not None and latest.kind == "trust_stuck":
        reason = str(latest.payload.get("reason", ""))
    else:
        reason = profile.trust_unanswered or "no agenttui start-up is answering it"
    return StateReading(AgentState.TRUST, {"reason": reason}, "screen")


def _hook_or_none(
    events: Sequence[HookEvent],
) -> tuple[HookEvent, AgentState, dict[str, Any]] | None:
    try:
        return _latest_decisive(events)
    except LookupError:
        return None


def _combine(
    hook: tuple[HookEvent, AgentState, dict[str, Any]],
    seen: tuple[AgentState, dict[str, Any]] | None,
) -> StateReading:
    event, state, detail = hook
    if seen is None:
        return StateReading(state, detail, "hook")
    screen, screen_detail = seen
    if screen is state:
        return StateReading(state, {**screen_detail, **detail}, "hook")
    if event.age_s < HOOK_GRACE_S and state is AgentState.WORKING:
        # A fresh submit the screen has not drawn yet (the spinner is still coming).
        return StateReading(state, detail, "hook")
    # A permission/question hook with no dialog on screen: answered already (by the policy
    # through the hook itself, or by hand), or not drawn yet; the screen says what is true.
    if state is AgentState.IDLE and screen is not AgentState.WORKING:
        return StateReading(state, detail, "hook")
    # The screen moved on since the hook: a dialog answered by hand, a turn interrupted.
    return StateReading(screen, screen_detail, "screen")


def _quiescence(
    profile: Profile, lines: Sequence[str], idle_seconds: float, *, started: bool = False
) -> StateReading:
    """No rule matched: not ready yet (no prompt on screen, no hook heard), else by activity;
    quiet without its input box on screen, the agent shows something nobody recognised."""
    text = "\n".join(lines)
    not_ready = profile.ready is not None and not profile.ready.search(text)
    if not text.strip():
        return StateReading(AgentState.STARTING, {}, "quiescence")
    if _unrecognised(profile, lines):
        # No input box and no rule: a dialog or screen nobody recognised. Quiet long enough,
        # only a person can tell what it wants; until then it may still be drawing.
        if idle_seconds >= profile.blocked_after_s:
            shown = last_lines(lines, BLOCKED_LINES)
            detail = {"reason": "unrecognised", "message": shown[-1].strip(), "lines": shown}
            return StateReading(AgentState.BLOCKED, detail, "quiescence")
        state = AgentState.STARTING if not_ready and not started else AgentState.WORKING
        return StateReading(
            state, {}, "quiescence", recheck_in=profile.blocked_after_s - idle_seconds
        )
    if not_ready and not started:
        return StateReading(AgentState.STARTING, {}, "quiescence")
    if idle_seconds >= profile.quiescence_s:
        return StateReading(AgentState.IDLE, {"idle_seconds": round(idle_seconds, 1)}, "quiescence")
    wait = profile.quiescence_s - idle_seconds
    return StateReading(AgentState.WORKING, {}, "quiescence", recheck_in=wait)


def _unrecognised(profile: Profile, lines: Sequence[str]) -> bool:
    """Something is on screen, but not the agent's input box (profiles that describe it)."""
    box = profile.input_box
    return (
        box is not None
        and any(line.strip() for line in lines)
        and not _rule_matches(box, lines, "")
    )


def last_lines(lines: Sequence[str], count: int) -> list[str]:
    """The screen's last ``count`` non-empty lines, right-trimmed (a blocked agent's detail)."""
    return [line.rstrip() for line in lines if line.strip()][-count:]
