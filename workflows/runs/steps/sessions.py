"""The agent panes of a run: one per session name, each in its own tmux window.

A pane is named ``<run-id>-<session>`` (tmux pane option ``@agenttui_name``), so a resumed
runner finds the agents it started before it was killed, conversation intact; it adopts
one only if its launch token is one this run recorded (``run_agents``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workflows.agents.profiles import Profile
from workflows.agents.settings import load_profile
from workflows.agents.startup import (
    StartupFailed,
    StartupReport,
    StartupTimeout,
    start_agent,
    wait_until_ready,
)
from workflows.runs import run_agents
from workflows.runs.run_env import load_run_env
from workflows.runs.steps.base import StepContext, StepFailed, StepResult

if TYPE_CHECKING:
    from workflows.tmux.driver import PaneInfo, TmuxDriver

READY_TIMEOUT_S = 180.0


def pane_name(run_id: str, session: str) -> str:
    return f"{run_id}-{session}"


def profile_name_for(ctx: StepContext) -> str:
    """The step's agent, chosen when the run started (workflows.runs.agent_choice)."""
    chosen = ctx.run.params.get("agents", {}).get(ctx.step.id)
    # Runs started before the choice was recorded per step had one override for all.
    return str(chosen or ctx.run.params.get("agent") or ctx.step.agent or ctx.workflow.agent)


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
    if pane is None:
        launch = run_agents.record_launch(
            ctx.runs, driver, run_id=ctx.run.id, session=session, name=name, profile=profile.name
        )
        pane = start_agent(
            driver, profile, name=name, cwd=str(ctx.worktree), env=load_run_env(ctx.run.id),
            window=name, run_id=ctx.run.id, token=launch.token,
        )  # fmt: skip
        run_agents.record_pane(ctx.runs, launch, pane.pane_id)
        ctx.event("agent", f"started {profile.name} as {name} in {pane.pane_id}", pane=pane.pane_id)
        ctx.runs.update_context(ctx.run.id, **{f"pane_{session}": pane.pane_id})
    else:  # started earlier (maybe by a runner killed before it was ready), if its token says so
        run_agents.refuse_stranger(ctx.runs, ctx.run.id, pane)
    return run_startup(ctx, driver, pane, profile), profile


def run_startup(ctx: StepContext, driver: TmuxDriver, pane: PaneInfo, profile: Profile) -> PaneInfo:
    """The start-up's wait, told to the run: its log, and `agenttui runs` while a person is
    needed (the trust dialog it could not answer, a dialog shown at start)."""

    def waiting(text: str | None) -> None:
        ctx.runs.update_context(ctx.run.id, attention=text)
        if text:
            ctx.event("attention", text, pane=pane.pane_id)

    report = StartupReport(
        event=lambda kind, text: ctx.event(kind, text, pane=pane.pane_id),
        waiting=waiting,
        poll=ctx.check_cancelled,
    )
    # A step with a shorter timeout of its own bounds its agent's start-up too.
    timeout = min(READY_TIMEOUT_S, ctx.step.timeout or READY_TIMEOUT_S)
    try:
        wait_until_ready(
            driver, pane, profile=profile, store=ctx.runs.store, timeout=timeout, report=report
        )
    except (StartupFailed, StartupTimeout) as error:
        raise StepFailed(f"agent {error}") from error
    return driver.resolve(pane.pane_id)


def run_spawn_step(ctx: StepContext) -> StepResult:
    """A ``spawn`` step: the session's agent is started (or found) and its pane recorded."""
    return StepResult(ok=True, outputs=run_spawn(ctx))


def run_spawn(ctx: StepContext) -> dict[str, str]:
    from workflows.tmux.driver import TmuxDriver

    driver = TmuxDriver(ctx.target)
    try:
        pane, _ = ensure_agent(ctx, driver, ctx.step.session, profile_name_for(ctx))
    finally:
        driver.close()
    return {"pane": pane.pane_id}
