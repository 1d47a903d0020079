"""A step whose agent is gone starts again with a new agent, and says so.

Gone is a tmux server restarted under the run (all its agents with it), an agent that
exited mid-step, or a pane id now held by someone else (``run_agents.why_gone``). The run
does not die of it: the deliveries the lost agent got are marked ``lost``, its dead pane
(checked by launch token) is closed after its last screen went to the log, the run's log
and its issues are told, and the step delivers its prompt again to a new agent. Earlier
steps' work stays: it lives in the worktree and the store, not in the agent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from workflows.base.errors import AgentTuiError
from workflows.runs.run_agents import AgentGone, records
from workflows.runs.steps.base import StepContext, StepFailed
from workflows.runs.steps.delivery import in_flight
from workflows.runs.steps.on_host import wait_for_host
from workflows.tmux.ssh import HostUnreachable

if TYPE_CHECKING:
    from workflows.tmux.driver import TmuxDriver

MAX_RESTARTS = 2  # per step attempt and runner: an agent that keeps dying fails the step
SCREEN_LINES = 15
T = TypeVar("T")


def with_restarts(ctx: StepContext, driver: TmuxDriver, work: Callable[[], T]) -> T:
    """``work()``, run again after a ``restart`` each time its agent is gone (bounded), and
    once its host is back when the host dropped mid-step (``on_host.wait_for_host``; its
    agent worked on in the host's tmux): ``work()`` then goes on from the deliveries
    recorded, as a resumed runner does, so nothing is sent twice."""
    restarts = 0
    deadline = time.monotonic() + ctx.step.effective_timeout()
    while True:
        try:
            return work()
        except HostUnreachable as error:
            deadline += wait_for_host(ctx, error, deadline)
        except AgentGone as gone:
            restarts += 1
            if restarts > MAX_RESTARTS:
                raise StepFailed(f"{gone} (its agent was lost {restarts} times)") from gone
            restart(ctx, driver, gone)


def restart(ctx: StepContext, driver: TmuxDriver, gone: AgentGone) -> None:
    """Everything before the step's prompt goes to a new agent (see the module docstring).

    The issues hear of the first restart of a step attempt only (an agent that keeps dying
    is one story; the log has every restart). A runner killed half-way finds the
    deliveries still in flight (they are marked lost last) and does it again."""
    lost = in_flight(ctx, gone.name)
    message = (
        f"agenttui run {ctx.run.id}: the agent working on step '{ctx.step.id}' "
        f"({gone.name}) was lost: {gone.reason}. The step starts again with a new agent, "
        "which gets the step's prompt again; earlier steps are kept."
    )
    _close_dead_pane(ctx, driver, gone)
    ctx.event("restart", f"{gone}; starting step {ctx.step.id!r} again with a new agent")
    _tell_issues(ctx, message)
    for delivery in lost:
        ctx.runs.mark_delivery(delivery.id, "lost", gone.reason)


def _close_dead_pane(ctx: StepContext, driver: TmuxDriver, gone: AgentGone) -> None:
    """Close the lost agent's pane if it is dead and provably its (launch token)."""
    ours = {record.token for record in records(ctx.runs, ctx.run.id, gone.name)}
    try:
        pane = next((p for p in driver.panes() if p.pane_id == gone.pane_id), None)
        if pane is None or not pane.dead or pane.token not in ours:
            return
        screen = [line for line in driver.capture(pane.pane_id, history=200) if line.strip()]
        ctx.event(
            "agent",
            f"closing the dead pane of {gone.name} ({pane.pane_id}); its last screen:\n"
            + "\n".join(screen[-SCREEN_LINES:]),
            pane=pane.pane_id,
        )
        driver.kill(pane.pane_id)
    except AgentTuiError as error:  # tidying up must not stop the restart
        ctx.event("warning", f"could not close the dead pane {gone.pane_id}: {error}")


def _tell_issues(ctx: StepContext, message: str) -> None:
    from workflows.runs.steps.linear import post_to_issues

    try:
        post_to_issues(ctx, comment=message, comment_key="agent-restart")
    except AgentTuiError as error:  # the tracker being down must not stop the run
        ctx.event("warning", f"could not tell the issues that the agent was restarted: {error}")
