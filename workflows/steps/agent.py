"""Agent prompt steps: deliver one prompt, wait for the turn to end, read the output file.

Exactly-once delivery: the delivery is recorded before the text is sent and marked after.
On resume, a recorded delivery (submitted, or interrupted mid-send) is never sent again;
the step waits for the agent instead. Completion comes from the agent's state (hook events
first, then the screen) plus the output file the prompt asked for; the answer is read only
from that file, never from the screen.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from workflows.agents.hooks import recent_events
from workflows.agents.observe import read_state
from workflows.agents.profiles import Profile, load_profile
from workflows.agents.state import AgentState, StateReading
from workflows.definitions.placeholders import render
from workflows.errors import NotDelivered
from workflows.steps.base import StepContext, StepFailed, StepResult
from workflows.steps.sessions import ensure_agent, profile_name_for

if TYPE_CHECKING:
    from workflows.tmux.driver import PaneInfo, TmuxDriver

SEND_TIMEOUT_S = 30.0
NUDGE_AFTER_S = 20.0  # a finished turn with no output file this long gets one reminder
MAX_REMINDERS = 1
REMINDER = (
    "You have not written your answer to the file yet. Write it now; do not change anything "
    "else.\nWrite your answer to the file: {path}\n"
)
SETTLED_POLLS = 2  # consecutive idle readings that end a turn
REMEDY_SUFFIX = "\n\nThis came back and must be fixed:\n\n{failure}\n"


def build_prompt(ctx: StepContext) -> str:
    step = ctx.step
    template = step.prompt or ""
    if ctx.role == "remedy":
        template = step.retry_prompt or template + REMEDY_SUFFIX
    # The absolute path: unambiguous for any agent, and still inside its worktree.
    output = str(ctx.worktree / step.output) if step.output else ""
    text = render(template, {**ctx.values, "output": output})
    if output and output not in text:
        text += f"\n\nWrite your answer to the file: {output}\n"
    return text


def verdict_holds(text: str, until: str) -> bool:
    """True when a line of ``text`` says ``until`` (markdown emphasis and spaces ignored)."""
    wanted = until.strip()
    return any(re.sub(r"^[\s*_#>`-]+|[\s*_`]+$", "", line) == wanted for line in text.splitlines())


def run_agent(ctx: StepContext) -> StepResult:
    from workflows.tmux.driver import TmuxDriver

    driver = TmuxDriver(ctx.socket, ctx.session)
    try:
        return _run(ctx, driver)
    finally:
        driver.close()


def _run(ctx: StepContext, driver: TmuxDriver) -> StepResult:
    step = ctx.step
    output = ctx.worktree / step.output if step.output else None
    earlier = [
        d for d in ctx.runs.deliveries(ctx.run.id, ctx.seq) if d.status in ("sending", "submitted")
    ]
    if earlier:
        delivery = earlier[-1]
        profile = load_profile(profile_name_for(ctx))
        pane = _live_pane(driver, delivery.pane_id, delivery.agent_name)
        since = delivery.created_at
        how = "was delivered" if delivery.status == "submitted" else "was being sent"
        ctx.event(
            "resume",
            f"prompt {how} to {delivery.agent_name} before the runner stopped; "
            "not sending it again, waiting for the agent",
        )
    else:
        pane, profile = ensure_agent(ctx, driver, step.session, profile_name_for(ctx))
        if output is not None:
            output.unlink(missing_ok=True)
        since = time.time()
        _deliver(ctx, driver, pane, profile, build_prompt(ctx))
    reminders = max(0, len(earlier) - 1)  # deliveries after the first were reminders
    while not _wait_for_turn(
        ctx, driver, pane, profile=profile, output=output, since=since, nudge_after=NUDGE_AFTER_S
    ):
        assert output is not None
        if reminders >= MAX_REMINDERS:
            raise StepFailed(
                f"agent {pane.name} finished its turn without writing {output} "
                f"(reminded {reminders} time(s))"
            )
        reminders += 1
        since = time.time()
        ctx.event("reminder", f"{pane.name} finished without writing {step.output}; reminding it")
        _deliver(ctx, driver, pane, profile, REMINDER.format(path=output))
    text = output.read_text(encoding="utf-8", errors="replace") if output else ""
    ok = verdict_holds(text, step.until) if step.until else True
    if step.until:
        ctx.event("verdict", f"{step.until!r} {'found' if ok else 'not found'} in {step.output}")
    return StepResult(ok=ok, outputs={"output": text}, failure=text)


def _deliver(
    ctx: StepContext, driver: TmuxDriver, pane: PaneInfo, profile: Profile, prompt: str
) -> None:
    from workflows.tmux.send import send_text

    delivery_id = ctx.runs.record_delivery(
        ctx.run.id,
        ctx.seq,
        ctx.step.id,
        pane_id=pane.pane_id,
        agent_name=pane.name,
        chars=len(prompt),
    )
    try:
        result = send_text(driver, pane, prompt, timeout=SEND_TIMEOUT_S, profile=profile)
    except NotDelivered as error:
        ctx.runs.mark_delivery(delivery_id, "failed", str(error))
        raise StepFailed(
            f"prompt not delivered to {pane.name} ({pane.pane_id}): {error}"
        ) from error
    detail = f"{result.attempts} attempt(s)"
    ctx.runs.mark_delivery(delivery_id, "submitted" if result.submitted else "failed", detail)
    if not result.submitted:
        raise StepFailed(
            f"prompt pasted into {pane.name} ({pane.pane_id}) but not submitted: "
            + "; ".join(f"{s['step']}: {s['detail']}" for s in result.steps[-3:])
        )
    ctx.event("prompt", f"prompt ({len(prompt)} chars) submitted to {pane.name}", pane=pane.pane_id)


def _live_pane(driver: TmuxDriver, pane_id: str, name: str) -> PaneInfo:
    pane = next((p for p in driver.panes() if p.pane_id == pane_id), None)
    if pane is None or pane.dead:
        status = "" if pane is None else f" (exit status {pane.dead_status})"
        raise StepFailed(
            f"agent {name} ({pane_id}) that received this step's prompt is gone"
            f"{status}; the prompt is not sent twice: cancel the run or start a "
            "new one"
        )
    return pane


def _turn_finished_since(ctx: StepContext, pane: PaneInfo, since: float) -> bool:
    now = time.time()
    return any(
        event.kind == "stop" and now - event.age_s >= since
        for event in recent_events(ctx.runs.store, pane_id=pane.pane_id, now=now)
    )


def _wait_for_turn(
    ctx: StepContext,
    driver: TmuxDriver,
    pane: PaneInfo,
    *,
    profile: Profile,
    output: Path | None,
    since: float,
    nudge_after: float | None = None,
) -> bool:
    """Wait for the turn (and the output file); False when, with ``nudge_after`` set, the
    turn ended and the file was still missing that many seconds later."""
    deadline = time.monotonic() + ctx.step.effective_timeout()
    settled, seen_working, told_person = 0, False, False
    last_state: AgentState | None = None
    stuck: StateReading | None = None
    idle_since: float | None = None
    while time.monotonic() < deadline:
        pane = driver.resolve(pane.pane_id)
        reading = read_state(driver, pane, store=ctx.runs.store, profile=profile)
        state = reading.state
        if state != last_state:
            ctx.event("state", f"{pane.name} is {state.value} ({reading.source})")
            last_state = state
        if state == AgentState.EXITED:
            raise StepFailed(
                f"agent {pane.name} exited during step {ctx.step.id!r} ({reading.detail})"
            )
        if state.needs_person != told_person:  # `agenttui runs` shows who waits for whom
            waiting = (
                f"{pane.name} ({pane.pane_id}) is {reading.summary()}"
                if state.needs_person
                else None
            )
            ctx.runs.update_context(ctx.run.id, attention=waiting)
            if waiting:
                shown = "".join(f"\n  | {line}" for line in reading.detail.get("lines", []))
                ctx.event("attention", f"{waiting}; a person is needed{shown}", pane=pane.pane_id)
        told_person = state.needs_person
        stuck = reading if state.needs_person else None
        seen_working = seen_working or state == AgentState.WORKING
        if output is not None:
            finished = output.is_file() and state == AgentState.IDLE
        else:
            finished = state == AgentState.IDLE and (
                seen_working or _turn_finished_since(ctx, pane, since)
            )
        settled = settled + 1 if finished else 0
        if settled >= SETTLED_POLLS:
            return True
        idle_since = (idle_since or time.monotonic()) if state == AgentState.IDLE else None
        if nudge_after and output is not None and idle_since is not None:
            turn_over = seen_working or _turn_finished_since(ctx, pane, since)
            # Never seen busy (a very quick turn) counts too, after twice as long.
            waited = time.monotonic() - idle_since
            if waited > (nudge_after if turn_over else 2 * nudge_after):
                return False
        ctx.sleep()
    what = f"writing {ctx.step.output}" if output is not None else "finishing its turn"
    why = f" (it was waiting for a person: {stuck.summary()})" if stuck is not None else ""
    raise StepFailed(
        f"agent {pane.name} did not finish {what} within {ctx.step.effective_timeout():.0f}s{why}"
    )
