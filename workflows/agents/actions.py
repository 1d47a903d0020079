"""One-key actions on an agent: approve, approve always, deny, interrupt — with the profile's keys.

An answer is only sent when the agent is really asking (its state is ``awaiting_approval``,
or a question for ``deny``): pressing ``1`` on the wrong screen is how peers ran commands
nobody approved. Each answer is recorded as an ``answered`` event, so the classifier knows
the dialog was handled even before the screen redraws. ``approve`` on a ``trust`` dialog
chooses its trusting option, as the start-up does (never the approve key). A person's answer
goes through ``workflows.approvals.answer``, which also audits it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workflows.agents.classifier import screen_state
from workflows.agents.hooks import event_since, last_event_id, record_event
from workflows.agents.observe import default_store, profile_for, read_state, server_for
from workflows.agents.profiles import Profile
from workflows.agents.state import AgentState
from workflows.base.errors import AgentTuiError, UsageError
from workflows.base.store import Store

if TYPE_CHECKING:
    from workflows.tmux.driver import PaneInfo, TmuxDriver

DIALOG_WAIT_S = 3.0
ANSWER_ATTEMPTS = 3
ANSWER_RETRY_S = 1.5
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
    events = store or default_store()
    reading = read_state(driver, pane, store=events, profile=profile)
    if reading.state is AgentState.EXITED:
        raise AgentTuiError(f"{label} has exited ({reading.detail})")
    if action == "approve" and reading.state is AgentState.TRUST:
        return _approve_trust(driver, pane, profile, events, reading.as_json())
    allowed = ANSWERS_NEED.get(action)
    if allowed is not None and reading.state not in allowed:
        raise AgentTuiError(
            f"{label} is not awaiting approval (state: {reading.state.value}); nothing to {action}"
        )
    if allowed is None:
        driver.send_keys(pane.pane_id, *keys)
    else:
        _dialog_on_screen(driver, pane, profile, allowed)
        _answer(driver, pane.pane_id, keys, profile.settle_ms / 1000)
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


def _approve_trust(
    driver: TmuxDriver, pane: PaneInfo, profile: Profile, events: Store, before: dict[str, Any]
) -> ActionResult:
    """A person approves trusting the folder: the trusting option is chosen explicitly, as the
    start-up does (workflows.agents.trust), never with the approve key."""
    from workflows.agents.trust import answer_trust

    outcome = answer_trust(driver, pane.pane_id, profile, deadline=time.monotonic() + 20.0)
    label = pane.name or pane.pane_id
    if not outcome.answered:
        raise AgentTuiError(f"{label}: {outcome.reason}; attach to answer it by hand")
    record_event(
        events,
        agent=pane.name,
        kind="trust_answered",
        payload={"keys": outcome.keys, "by": "person"},
        pane_id=pane.pane_id,
        server=server_for(driver, pane.pane_id),
    )
    result = ActionResult(pane.pane_id, pane.name, "approve", outcome.keys, before)
    result.after = _settled(driver, pane.pane_id, AgentState.TRUST, events, 3.0)
    return result


def _dialog_on_screen(
    driver: TmuxDriver, pane: PaneInfo, profile: Profile, allowed: tuple[AgentState, ...]
) -> None:
    """Keys only go to a dialog the screen shows: a hook alone (which may already have been
    answered by the policy) never makes us press ``1`` into an input box."""
    deadline = time.monotonic() + DIALOG_WAIT_S
    while True:
        title = driver.resolve(pane.pane_id).title
        seen = screen_state(profile, driver.capture(pane.pane_id), title)
        if seen is not None and seen[0] in allowed:
            return
        if time.monotonic() > deadline:
            label = pane.name or pane.pane_id
            raise AgentTuiError(
                f"{label}: its hook reported a request but no dialog is on screen; no keys sent"
            )
        time.sleep(0.05)


def _stable_screen(driver: TmuxDriver, pane_id: str, quiet: float, limit: float) -> list[str]:
    """Wait until the screen has not changed for ``quiet`` seconds (at most ``limit``)."""
    deadline = time.monotonic() + limit
    screen = driver.capture(pane_id)
    since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.03)
        now = driver.capture(pane_id)
        if now != screen:
            screen, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return screen


def _answer(driver: TmuxDriver, pane_id: str, keys: list[str], settle: float) -> None:
    """Answer a dialog so the answer counts, and never twice.

    Codex ignores keys that arrive just as its dialog is drawn: wait until the dialog has
    been still for the profile's settle time. If the screen is still exactly the same a
    while after the keys, they were dropped, and sending them again hits the same dialog.
    """
    before = _stable_screen(driver, pane_id, max(settle, 0.15), 3.0)
    for _attempt in range(ANSWER_ATTEMPTS):
        driver.send_keys(pane_id, *keys)
        deadline = time.monotonic() + ANSWER_RETRY_S
        while time.monotonic() < deadline:
            time.sleep(0.05)
            if driver.capture(pane_id) != before:
                return


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


def note_submitted(driver: TmuxDriver, pane: PaneInfo, *, store: Store | None = None) -> None:
    """Record that agenttui submitted a prompt to ``pane`` (a ``submit`` event).

    For agents without a submit hook (Codex only reports finished turns) this keeps the
    state ``working`` from the Enter until the agent's screen or turn-end hook says
    otherwise, so a ``wait --state idle`` right after a send cannot see the old idle screen.
    """
    record_event(
        store or default_store(),
        agent=pane.name,
        kind="submit",
        payload={"source": "agenttui"},
        pane_id=pane.pane_id,
        server=server_for(driver, pane.pane_id),
    )


class SubmitWatch:
    """Confirmation of a send by the agent's own submit hook (Claude's UserPromptSubmit).

    ``mark()`` before pressing Enter; ``fired()`` is true once the agent reported a submit
    after the mark. ``confirmed()`` after a send that was confirmed another way records the
    submit for agents that only report turn ends (Codex notify), see :func:`note_submitted`.
    """

    def __init__(self, driver: TmuxDriver, pane: PaneInfo, hooks: str, store: Store | None = None):
        self.driver = driver
        self.pane = pane
        self.hooks = hooks
        self.store = store or default_store()
        self.server = server_for(driver, pane.pane_id) if hooks != "none" else ""
        self.after = 0

    def mark(self) -> None:
        if self.hooks == "claude-settings":
            self.after = last_event_id(self.store, pane_id=self.pane.pane_id, server=self.server)

    def fired(self) -> bool:
        if self.hooks != "claude-settings":
            return False
        found = event_since(
            self.store, pane_id=self.pane.pane_id, kind="submit", after_id=self.after,
            server=self.server,
        )  # fmt: skip
        return found is not None

    def confirmed(self) -> None:
        if self.hooks not in ("none", "claude-settings"):
            note_submitted(self.driver, self.pane, store=self.store)
