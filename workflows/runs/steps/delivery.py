"""Prompt deliveries to a run's agents: exactly once, whatever instant the runner dies at.

A delivery is recorded before anything is typed (``sending``), marked ``pasted`` as soon
as the text is in the agent's input box and ``submitted`` once the agent took it. A
resumed runner finishes an unfinished one from what the pane shows (``resume``):

- ``sending``, box empty, agent idle: killed before the paste. Sent now (the old record
  becomes ``failed``: "never reached the agent"; the new one is recorded as usual).
- the text (or a paste placeholder) still in the box: killed between the paste and the
  submit. Enter is pressed now and the submit confirmed; the text is never pasted twice.
- ``pasted`` and the box empty, or the agent busy: killed after Enter: it was submitted.
- ``submitted``: killed during the turn: nothing to redo, the turn is waited for.
- someone else's text in the box: nothing tells whose it is; the step fails saying so and
  the text is left alone.

Before any of that the agent itself is checked (``run_agents.why_gone``): one that is
gone raises ``AgentGone`` and the step starts again with a new agent (``restart``), which
is said in the run's log and on its issues.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from workflows.base import crashpoints
from workflows.base.errors import NotDelivered
from workflows.runs.run_agents import (
    AgentGone,
    AgentRecord,
    record_for_pane,
    still_ours,
    why_gone,
)
from workflows.runs.steps.base import StepContext, StepFailed

if TYPE_CHECKING:
    from workflows.agents.delivery import SendResult
    from workflows.agents.profiles import Profile
    from workflows.runs.run_store import Delivery
    from workflows.tmux.driver import PaneInfo, TmuxDriver

SEND_TIMEOUT_S = 30.0
IN_FLIGHT = ("sending", "pasted", "submitted")
BUSY_WAIT_S = 60.0  # how long a resumed delivery waits for a busy agent before deciding


@dataclass(frozen=True)
class RunAgent:
    """A run's agent as found now: its pane, profile and launch record."""

    pane: PaneInfo
    profile: Profile
    record: AgentRecord

    @property
    def name(self) -> str:
        return self.pane.name


def run_agent_for(ctx: StepContext, pane: PaneInfo, profile: Profile) -> RunAgent:
    """The RunAgent of a pane ``ensure_agent`` returned (it recorded or checked it)."""
    record = record_for_pane(ctx.runs, ctx.run.id, pane.name, pane.pane_id)
    if record is None:  # ensure_agent records every agent it starts or adopts
        raise StepFailed(f"agent {pane.name} ({pane.pane_id}) has no launch record")
    return RunAgent(pane, profile, record)


def in_flight(ctx: StepContext, agent_name: str | None = None) -> list[Delivery]:
    """This attempt's deliveries that may have reached their agent, oldest first."""
    return [
        d
        for d in ctx.runs.deliveries(ctx.run.id, ctx.seq)
        if d.status in IN_FLIGHT and agent_name in (None, d.agent_name)
    ]


def locate(ctx: StepContext, driver: TmuxDriver, delivery: Delivery, profile: Profile) -> RunAgent:
    """The agent that got (or was getting) ``delivery``; AgentGone if it is not there."""
    record = record_for_pane(ctx.runs, ctx.run.id, delivery.agent_name, delivery.pane_id)
    reason = why_gone(driver, record, delivery.pane_id)
    if reason is not None or record is None:
        raise AgentGone(delivery.agent_name, delivery.pane_id, reason or "unknown")
    return RunAgent(driver.resolve(delivery.pane_id), profile, record)


def current_pane(driver: TmuxDriver, agent: RunAgent) -> PaneInfo:
    """The agent's pane as listed now; AgentGone when its id is no longer this agent
    (closed, or taken by another pane after a tmux restart). A dead pane is returned:
    its exit status is the caller's to read."""
    pane = next((p for p in driver.panes() if p.pane_id == agent.record.pane_id), None)
    if pane is None or not still_ours(pane, agent.record):
        reason = why_gone(driver, agent.record, agent.record.pane_id) or "its pane changed"
        raise AgentGone(agent.name, agent.record.pane_id, reason)
    return pane


def _reached(kind: str, point: str) -> None:
    """Crash points ``delivery-POINT`` (any delivery) and ``KIND-delivery-POINT``."""
    crashpoints.reached(f"delivery-{point}")
    crashpoints.reached(f"{kind.partition(':')[0]}-delivery-{point}")


def deliver(
    ctx: StepContext, driver: TmuxDriver, agent: RunAgent, text: str, *, kind: str = "prompt"
) -> None:
    """Send ``text`` to the agent, recording each phase (see the module docstring) and what
    it carries (``kind``: prompt, reminder, followup:ID), so a resume sends the same text."""
    from workflows.agents.delivery import send_text

    pane = current_pane(driver, agent)
    delivery_id = ctx.runs.record_delivery(
        ctx.run.id,
        ctx.seq,
        ctx.step.id,
        pane_id=pane.pane_id,
        agent_name=pane.name,
        chars=len(text),
        kind=kind,
    )
    _reached(kind, "recorded")

    def progress(phase: str) -> None:
        if phase == "pasted":
            _reached(kind, "pasted-unmarked")
            ctx.runs.mark_delivery(delivery_id, "pasted")
        _reached(kind, phase)

    try:
        result = send_text(
            driver, pane, text, timeout=SEND_TIMEOUT_S, profile=agent.profile, progress=progress
        )
    except NotDelivered as error:
        ctx.runs.mark_delivery(delivery_id, "failed", str(error))
        if (reason := why_gone(driver, agent.record, pane.pane_id)) is not None:
            raise AgentGone(agent.name, pane.pane_id, reason) from error
        raise StepFailed(
            f"prompt not delivered to {pane.name} ({pane.pane_id}): {error}"
        ) from error
    _mark_sent(ctx, delivery_id, agent, text, result, kind=kind)


def _mark_sent(
    ctx: StepContext, delivery_id: int, agent: RunAgent, text: str, result: SendResult, *, kind: str
) -> None:
    status = "submitted" if result.submitted else "failed"
    ctx.runs.mark_delivery(delivery_id, status, f"{result.attempts} attempt(s)")
    _reached(kind, "submitted")
    pane = agent.pane
    if not result.submitted:
        raise StepFailed(
            f"prompt pasted into {pane.name} ({pane.pane_id}) but not submitted: "
            + "; ".join(f"{s['step']}: {s['detail']}" for s in result.steps[-3:])
        )
    ctx.event("prompt", f"prompt ({len(text)} chars) submitted to {pane.name}", pane=pane.pane_id)


def resume(
    ctx: StepContext,
    driver: TmuxDriver,
    agent: RunAgent,
    delivery: Delivery,
    text: str,
    *,
    answer: Path | None = None,
) -> float:
    """Finish ``delivery`` (to ``agent``, carrying ``text``) that a killed runner left;
    returns the time the turn it started counts from. ``answer``: a file the agent writes
    only once it got the text (it was deleted before the delivery)."""
    from workflows.agents.delivery import input_holds, submit_typed

    name = agent.name
    if delivery.status == "submitted":
        ctx.event(
            "resume",
            f"prompt was delivered to {name} before the runner stopped; "
            "not sending it again, waiting for the agent",
        )
        return delivery.created_at
    box, busy = input_holds(driver, agent.pane, text, profile=agent.profile)
    if delivery.status == "sending" and box != "typed":
        # Nothing was entered, so whatever keeps it busy is not this prompt: wait it out.
        deadline = time.monotonic() + ctx.step.effective_timeout()
        while busy and box != "typed" and time.monotonic() < deadline:
            ctx.sleep()
            box, busy = input_holds(driver, agent.pane, text, profile=agent.profile)
        if busy and box != "typed":
            raise StepFailed(
                f"{name} stayed busy with something else while this step's prompt waited "
                f"to be sent ({ctx.step.effective_timeout():.0f}s)"
            )
    if box == "exited":
        raise AgentGone(name, agent.pane.pane_id, "it exited")
    if box == "typed":
        ctx.runs.mark_delivery(delivery.id, "pasted")  # an Enter from here on may take it
        ctx.event(
            "resume",
            f"prompt was typed into {name}'s input box but not submitted when the runner "
            "stopped; submitting it now (not pasting it again)",
        )
        result = submit_typed(
            driver, agent.pane, text, profile=agent.profile, timeout=SEND_TIMEOUT_S
        )
        _mark_sent(ctx, delivery.id, agent, text, result, kind=delivery.kind)
        return time.time()
    if box == "other" and not busy:
        raise StepFailed(
            f"the input box of {name} ({agent.pane.pane_id}) holds text that is not this "
            "step's prompt, and the runner stopped while sending it: agenttui leaves that "
            f"text alone. Empty the box (`agenttui attach {name}`), then resume the run"
        )
    answered = answer is not None and ctx.file_exists(answer)
    if delivery.status == "sending" and not (
        answered or hook_saw(ctx, agent, delivery.created_at, ("submit", "stop"))
    ):
        ctx.runs.mark_delivery(delivery.id, "failed", "never reached the agent")
        ctx.event(
            "resume",
            f"prompt was recorded but never reached {name} (the runner stopped before "
            "pasting it; the input box is empty): sending it now",
        )
        deliver(ctx, driver, agent, text, kind=delivery.kind)
        return time.time()
    if answered:
        how = f"it wrote {answer}"
    elif busy:
        how = "it is busy with it"
    else:
        how = "its input box is empty again" if delivery.status == "pasted" else "its hooks say so"
    ctx.runs.mark_delivery(delivery.id, "submitted", f"confirmed on resume: {how}")
    ctx.event(
        "resume",
        f"prompt was being sent to {name} before the runner stopped and reached it ({how}); "
        "not sending it again, waiting for the agent",
    )
    return delivery.created_at


def hook_saw(ctx: StepContext, agent: RunAgent, since: float, kinds: tuple[str, ...]) -> bool:
    """The agent's own hooks reported one of ``kinds`` (submit, stop) after ``since``."""
    from workflows.agents.hooks import recent_events

    now = time.time()
    events = recent_events(
        ctx.runs.store, pane_id=agent.record.pane_id, server=agent.record.server.hook_key, now=now
    )
    return any(e.kind in kinds and now - e.age_s >= since for e in events)
