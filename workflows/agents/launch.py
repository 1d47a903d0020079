"""Launching an agent so that it reports to agenttui, and waiting until it takes input.

``agent_argv`` adds the profile's hook wiring (a per-pane Claude settings file, Codex
``notify``) to the profile's command; ``hook_env`` carries the store location to the hooks.
``wait_ready`` gets an agent past start-up: a trust / onboarding dialog is its own state
(``trust``) and is answered with the profile's ``trust.keys`` (once per appearance), or
left to a person when the profile has none. An agent idle on screen is ready only once its
screen has stayed unchanged for the profile's ``start_settle_ms`` (Codex draws its input box
a moment before it takes every key).
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from workflows.agents.hooks import hook_launch_args, record_event
from workflows.agents.observe import default_store, profile_for, read_state, server_for
from workflows.agents.profiles import Profile
from workflows.agents.state import AgentState, StateReading
from workflows.errors import AgentTuiError, WaitTimeout
from workflows.paths import state_dir
from workflows.store import Store

if TYPE_CHECKING:
    from workflows.tmux.driver import PaneInfo, TmuxDriver

READY = (AgentState.IDLE, AgentState.WORKING, AgentState.AWAITING_APPROVAL, AgentState.ASKING)
TRUST_RETRY_S = 5.0
"""A trust dialog still showing this long after our answer gets answered again."""


def agent_argv(
    profile: Profile, name: str, *, prompt: str | None = None, extra: list[str] | None = None
) -> list[str]:
    """The agent's command line with its hooks wired to report as ``name``."""
    return profile.launch_argv(
        prompt, extra=[*hook_launch_args(profile.hooks, name), *(extra or [])]
    )


def hook_env() -> dict[str, str]:
    """Environment the agent's hooks need to reach this agenttui's store."""
    env = {"AGENTTUI_STATE_DIR": str(state_dir())}
    for name in ("AGENTTUI_CONFIG_DIR", "AGENTTUI_CONFIG"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    return env


def wait_ready(
    driver: TmuxDriver,
    pane: PaneInfo,
    *,
    profile: Profile | None = None,
    store: Store | None = None,
    timeout: float = 60.0,
    answer_trust: bool = True,
) -> StateReading:
    """Wait until the agent takes input (or is already busy), answering trust dialogs."""
    prof = profile if profile is not None else profile_for(pane)
    events = store or default_store()
    deadline = time.monotonic() + timeout
    answered_at: float | None = None
    # (since, look) of a ready reading: with start_settle_ms it must hold that long. An idle
    # look is its screen (Codex draws its composer ~0.1 s before keys land); a busy one is
    # its state (Codex flashes a spinner title, "working", for ~0.1 s after its trust dialog).
    settling: tuple[float, tuple[AgentState, list[str]]] | None = None
    while True:
        current = driver.resolve(pane.pane_id)
        reading = read_state(driver, current, store=events, profile=prof)
        if reading.state in READY and prof.start_settle_ms > 0:
            idle = reading.state is AgentState.IDLE
            look = (reading.state, driver.capture(pane.pane_id) if idle else [])
            if settling is None or settling[1] != look:
                settling = (time.monotonic(), look)
            elif time.monotonic() - settling[0] >= prof.start_settle_ms / 1000:
                return reading
        elif reading.state in READY:
            return reading
        else:
            settling = None
        if reading.state is AgentState.EXITED:
            raise AgentTuiError(
                f"{pane.name or pane.pane_id} exited while starting: {reading.detail}"
            )
        now = time.monotonic()
        may_answer = answer_trust and bool(prof.trust_keys)
        due = answered_at is None or now - answered_at > TRUST_RETRY_S
        if reading.state is AgentState.TRUST and may_answer and due:
            driver.send_keys(pane.pane_id, *prof.trust_keys)
            record_event(
                events,
                agent=pane.name,
                kind="trust_answered",
                payload={"keys": prof.trust_keys},
                pane_id=pane.pane_id,
                server=server_for(driver, pane.pane_id),
            )
            answered_at = now
        if now > deadline:
            raise WaitTimeout(
                f"{pane.name or pane.pane_id} not ready after {timeout:.0f}s "
                f"(state {reading.state.value})"
            )
        time.sleep(0.05 if settling else 0.1)
