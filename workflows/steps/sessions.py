"""The agent panes of a run: one per session name, each in its own tmux window.

A pane is named ``<run-id>-<session>`` (tmux pane option ``@agenttui_name``), so a resumed
runner finds the agents it started before it was killed, conversation intact.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from workflows.agents.hooks import hook_launch_args
from workflows.agents.observe import read_state
from workflows.agents.profiles import Profile, load_profile
from workflows.agents.state import AgentState
from workflows.steps.base import StepContext, StepFailed

if TYPE_CHECKING:
    from workflows.tmux.driver import PaneInfo, TmuxDriver

READY_TIMEOUT_S = 180.0
# Variables an agent pane needs to find this agenttui's store and tmux server (hooks).
FORWARDED_ENV = (
    "AGENTTUI_STATE_DIR",
    "AGENTTUI_CONFIG",
    "AGENTTUI_CONFIG_DIR",
    "AGENTTUI_TMUX_SOCKET",
    "AGENTTUI_SESSION",
    "AGENTTUI_NPM_BIN",
)


def pane_name(run_id: str, session: str) -> str:
    return f"{run_id}-{session}"


def profile_name_for(ctx: StepContext) -> str:
    override = ctx.run.params.get("agent")
    return str(override or ctx.step.agent or ctx.workflow.agent)


def find_pane(driver: TmuxDriver, name: str) -> PaneInfo | None:
    live = [p for p in driver.panes() if p.name == name and not p.dead]
    return live[0] if live else None


def ensure_agent(
    ctx: StepContext, driver: TmuxDriver, session: str, profile_name: str
) -> tuple[PaneInfo, Profile]:
    """The live pane of ``session``, started (and waited for) if there is none."""
    profile = load_profile(profile_name)
    name = pane_name(ctx.run.id, session)
    pane = find_pane(driver, name)
    if pane is not None:  # started earlier (maybe by a runner killed before it was ready)
        return wait_until_ready(ctx, driver, pane, profile), profile
    argv = profile.launch_argv(extra=hook_launch_args(profile.hooks, name))
    env = {key: os.environ[key] for key in FORWARDED_ENV if key in os.environ}
    env.update(profile.env)
    pane = driver.spawn(
        argv,
        name=name,
        agent=profile.name,
        cwd=str(ctx.worktree),
        env=env,
        window=name,
        run_id=ctx.run.id,
    )
    ctx.event("agent", f"started {profile.name} as {name} in {pane.pane_id}", pane=pane.pane_id)
    ctx.runs.update_context(ctx.run.id, **{f"pane_{session}": pane.pane_id})
    return wait_until_ready(ctx, driver, pane, profile), profile


def wait_until_ready(
    ctx: StepContext, driver: TmuxDriver, pane: PaneInfo, profile: Profile
) -> PaneInfo:
    deadline = time.monotonic() + READY_TIMEOUT_S
    answered_trust = False
    while time.monotonic() < deadline:
        pane = driver.resolve(pane.pane_id)
        reading = read_state(driver, pane, store=ctx.runs.store, profile=profile)
        if reading.state == AgentState.IDLE:
            return pane
        if reading.state == AgentState.EXITED:
            screen = "\n".join(line for line in driver.capture(pane.pane_id) if line.strip())
            raise StepFailed(
                f"agent {pane.name} exited while starting "
                f"({reading.detail}); its screen:\n{screen[-1500:]}"
            )
        if reading.state == AgentState.TRUST and profile.trust_keys and not answered_trust:
            driver.send_keys(pane.pane_id, *profile.trust_keys)
            ctx.event("agent", f"answered the trust dialog of {pane.name}")
            answered_trust = True
        ctx.sleep()
    raise StepFailed(
        f"agent {pane.name} ({pane.pane_id}) was not ready after {READY_TIMEOUT_S:.0f}s"
    )


def run_spawn(ctx: StepContext) -> dict[str, str]:
    from workflows.tmux.driver import TmuxDriver

    driver = TmuxDriver(ctx.socket, ctx.session)
    try:
        pane, _ = ensure_agent(ctx, driver, ctx.step.session, profile_name_for(ctx))
    finally:
        driver.close()
    return {"pane": pane.pane_id}
