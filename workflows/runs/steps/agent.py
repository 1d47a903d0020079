"""Agent prompt steps: deliver one prompt, wait for the turn to end, read the output file.

Exactly-once delivery: each phase of a delivery is recorded (``steps.delivery``); a
resumed runner finishes a delivery a killed one left (submits text left in the box, sends
what never reached the agent) and never sends twice what may have been submitted. An
agent gone mid-step (tmux restarted, agent exited) is replaced by a new one that gets the
step's prompt again (``steps.restart``), at most ``MAX_RESTARTS`` times per attempt.
Completion comes from the agent's state (hook events first, then the screen) plus the
output file the prompt asked for; the answer is read only from that file, never from the
screen.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from workflows.agents.observe import read_state
from workflows.agents.settings import load_profile
from workflows.agents.state import AgentState, StateReading
from workflows.base import crashpoints
from workflows.definitions.placeholders import render
from workflows.runs.run_agents import AgentGone, exit_text
from workflows.runs.steps.base import StepContext, StepFailed, StepResult
from workflows.runs.steps.delivery import (
    RunAgent,
    current_pane,
    deliver,
    hook_saw,
    in_flight,
    locate,
    resume,
    run_agent_for,
)
from workflows.runs.steps.on_host import wait_for_host
from workflows.runs.steps.progress import Progress, stall_time, watch_progress
from workflows.runs.steps.restart import with_restarts
from workflows.runs.steps.sessions import ensure_agent, profile_name_for
from workflows.runs.steps.tell_person import mark_attention
from workflows.runs.steps.usage_limit import (
    CONTINUE,
    is_usage_limit,
    wait_out_usage_limit,
    wait_while_limited,
)
from workflows.tmux.ssh import HostUnreachable

if TYPE_CHECKING:
    from workflows.runs.run_store import Delivery
    from workflows.tmux.driver import PaneInfo, TmuxDriver

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

    driver = TmuxDriver(ctx.target)
    try:
        return with_restarts(ctx, driver, lambda: _run(ctx, driver))
    finally:
        driver.close()


def _run(ctx: StepContext, driver: TmuxDriver) -> StepResult:
    step = ctx.step
    output = ctx.worktree / step.output if step.output else None
    reminder = REMINDER.format(path=output)
    earlier = in_flight(ctx)
    # The step's prompt comes first; a "prompt" after it is a reminder recorded before
    # deliveries had a kind.
    reminders = sum(
        d.kind == "reminder" or (d.kind == "prompt" and i > 0) for i, d in enumerate(earlier)
    )
    if earlier:
        profile = load_profile(profile_name_for(ctx))
        last = earlier[-1]
        agent = locate(ctx, driver, last, profile)
        if last.kind.startswith("followup:"):  # the answer was written before follow-ups
            _resume_followup(ctx, driver, agent, last)
            return _answer(ctx, driver, agent, output)
        first = last is earlier[0] and last.kind == "prompt"
        text = build_prompt(ctx) if first else CONTINUE if last.kind == "continue" else reminder
        since = resume(ctx, driver, agent, last, text, answer=output if first else None)
    else:
        pane, profile = ensure_agent(ctx, driver, step.session, profile_name_for(ctx))
        agent = run_agent_for(ctx, pane, profile)
        if output is not None:
            ctx.remove_file(output)
        wait_while_limited(ctx, agent)
        since = time.time()
        deliver(ctx, driver, agent, build_prompt(ctx))
    while not _wait_for_turn(
        ctx, driver, agent, output=output, since=since, nudge_after=NUDGE_AFTER_S
    ):
        assert output is not None
        if reminders >= MAX_REMINDERS:
            raise StepFailed(
                f"agent {agent.name} finished its turn without writing {output} "
                f"(reminded {reminders} time(s))"
            )
        reminders += 1
        since = time.time()
        ctx.event("reminder", f"{agent.name} finished without writing {step.output}; reminding it")
        deliver(ctx, driver, agent, reminder, kind="reminder")
    return _answer(ctx, driver, agent, output)


def _answer(
    ctx: StepContext, driver: TmuxDriver, agent: RunAgent, output: Path | None
) -> StepResult:
    """The step's result, once the follow-ups that came meanwhile were dealt with."""
    step = ctx.step
    _deliver_followups(ctx, driver, agent)
    text = ctx.read_file(output) if output else ""
    ok = verdict_holds(text, step.until) if step.until else True
    if step.until:
        ctx.event("verdict", f"{step.until!r} {'found' if ok else 'not found'} in {step.output}")
    return StepResult(ok=ok, outputs={"output": text}, failure=text)


def _deliver_followups(ctx: StepContext, driver: TmuxDriver, agent: RunAgent) -> None:
    """What people wrote on the run's Linear sessions meanwhile, given to this agent once its
    turn has ended (never typed into a busy agent), each waited for like a prompt."""
    from workflows.runs.agent_sessions.inbox import next_followup

    while (followup := next_followup(ctx.runs.store, ctx.run.id)) is not None:
        activity_id, text = followup
        crashpoints.reached("followup-taken")  # before its delivery is recorded
        since = time.time()
        with _followup(ctx, agent, activity_id):
            deliver(ctx, driver, agent, text, kind=f"followup:{activity_id}")
        _wait_for_turn(ctx, driver, agent, output=None, since=since)


def _resume_followup(
    ctx: StepContext, driver: TmuxDriver, agent: RunAgent, delivery: Delivery
) -> None:
    """Finish a follow-up's delivery a killed runner left (its own text, never a reminder
    or the step's prompt) and wait for the turn it started."""
    from workflows.runs.agent_sessions.inbox import followup_text

    activity_id = delivery.kind.split(":", 1)[1]
    text = followup_text(ctx.runs.store, activity_id)
    with _followup(ctx, agent, activity_id):
        since = resume(ctx, driver, agent, delivery, text)
    # Taken before this runner started (resume() says so by answering when it was sent): an
    # idle agent is done with it, even one without hooks that finished before we looked.
    _wait_for_turn(ctx, driver, agent, output=None, since=since, taken=since == delivery.created_at)


@contextlib.contextmanager
def _followup(ctx: StepContext, agent: RunAgent, activity_id: str) -> Iterator[None]:
    """Record how a follow-up's delivery ended (the step goes on without one that failed;
    an agent gone starts the step again with a new agent, without it)."""
    from workflows.runs.agent_sessions.inbox import followup_done

    try:
        yield
    except StepFailed as error:
        followup_done(ctx.runs.store, activity_id, f"not delivered: {error}", ok=False)
        ctx.event("linear-prompt", f"follow-up not delivered to {agent.name}: {error}")
        return
    except AgentGone as error:
        followup_done(ctx.runs.store, activity_id, f"not delivered: {error}", ok=False)
        raise
    followup_done(ctx.runs.store, activity_id, f"delivered to {agent.name}", ok=True)
    ctx.event("linear-prompt", f"follow-up from Linear delivered to {agent.name}")


@dataclasses.dataclass(frozen=True)
class _Look:
    """What one poll read of an agent, all of it where the agent runs."""

    pane: PaneInfo
    reading: StateReading
    screen: list[str]  # for the stall guard (empty while it waits for a person)
    wrote_output: bool  # idle, with the output file it was asked for there


def _look(
    ctx: StepContext, driver: TmuxDriver, agent: RunAgent, deadline: float, output: Path | None
) -> tuple[_Look, float]:
    """One poll's reading of the agent; and the seconds waited for the step's host, when it
    could not be reached (``on_host.wait_for_host``). Every read of the poll is in here: a
    host that drops between two of them is waited for too, never a failed step."""
    waited = 0.0
    while True:
        try:
            pane = current_pane(driver, agent)
            reading = read_state(driver, pane, store=ctx.runs.store, profile=agent.profile)
            crashpoints.reached("poll-read")  # tests: the host drops between two reads
            waits = reading.state.needs_person
            screen = [] if waits else driver.capture(pane.pane_id)
            idle = reading.state == AgentState.IDLE
            wrote = idle and output is not None and ctx.file_exists(output)
            return _Look(pane, reading, screen, wrote), waited
        except HostUnreachable as error:
            waited += wait_for_host(ctx, error, deadline + waited)


def _wait_for_turn(
    ctx: StepContext,
    driver: TmuxDriver,
    agent: RunAgent,
    *,
    output: Path | None,
    since: float,
    nudge_after: float | None = None,
    taken: bool = False,
) -> bool:
    """Wait for the turn (and the output file); False when, with ``nudge_after`` set, the
    turn ended and the file was still missing that many seconds later."""
    deadline = time.monotonic() + ctx.step.effective_timeout()
    settled, seen_working, told_person, pauses = 0, False, False, 0
    last_state: AgentState | None = None
    stuck: StateReading | None = None
    idle_since: float | None = None
    progress = Progress(stall_time(ctx.step))
    pane = agent.pane
    while time.monotonic() < deadline:
        look, waited = _look(ctx, driver, agent, deadline, output)
        pane, reading = look.pane, look.reading
        if waited:  # its host was out of reach (the agent worked on in the host's tmux)
            deadline, settled, idle_since, last_state = deadline + waited, 0, None, None
            progress.restart()
        state = reading.state
        if state != last_state:
            ctx.event("state", f"{pane.name} is {state.value} ({reading.source})")
            last_state = state
        if state == AgentState.EXITED:
            how = exit_text(reading.detail.get("status"), reading.detail.get("signal"))
            raise AgentGone(pane.name, pane.pane_id, f"it exited during the step ({how})")
        if is_usage_limit(reading):  # not a person's job: wait for the reset, then continue
            deadline += wait_out_usage_limit(ctx, driver, agent, reading, pauses)
            pauses, settled, idle_since, last_state = pauses + 1, 0, None, None
            progress.restart()
            continue
        if state.needs_person != told_person:
            mark_attention(ctx, pane, reading)
        told_person = state.needs_person
        stuck = reading if state.needs_person else None
        watch_progress(progress, ctx, agent, look.screen, pane=pane, reading=reading, output=output)
        seen_working = seen_working or state == AgentState.WORKING
        if output is not None:
            finished = look.wrote_output
        else:
            finished = state == AgentState.IDLE and (
                taken or seen_working or hook_saw(ctx, agent, since, ("stop",))
            )
        settled = settled + 1 if finished else 0
        if settled >= SETTLED_POLLS:
            return True
        idle_since = (idle_since or time.monotonic()) if state == AgentState.IDLE else None
        if nudge_after and output is not None and idle_since is not None:
            turn_over = seen_working or hook_saw(ctx, agent, since, ("stop",))
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
