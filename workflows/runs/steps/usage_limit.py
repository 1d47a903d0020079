"""An agent at its usage limit: the run pauses until the limit lifts, then continues by itself.

The reset time is the one the agent shows (its profile's ``resets`` detail, read by
``agents.resets``) plus ``[usage_limits] margin_s``; when it shows none (or one already
past), a back-off of ``backoff_s`` doubling with each pause of the attempt, at most
``max_wait_s``. Meanwhile the run reads ``paused until HH:MM`` (``runs``, the app, its log)
and the profile is recorded as limited, so the watcher launches nothing with it. Then the
agent gets ``CONTINUE`` as a verified, recorded delivery (kind ``continue``: a resumed runner
never sends it twice). A limit still there after ``max_pauses`` pauses fails the step with
the reason: never a loop.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from workflows.agents.resets import reset_at
from workflows.agents.usage_limits import clear_limit, limit_settings, limited, record_limit
from workflows.runs.steps.base import StepContext, StepFailed
from workflows.runs.steps.delivery import RunAgent, deliver

if TYPE_CHECKING:
    from workflows.agents.state import StateReading
    from workflows.tmux.driver import TmuxDriver

CONTINUE = (
    "Your usage limit has been reset. Continue the task you were working on, from where you "
    "stopped.\n"
)
POLL_S = 2.0


def clock_text(moment: float) -> str:
    """``14:05``, with seconds when the wait is short enough for them to matter."""
    shown = time.localtime(moment)
    return time.strftime("%H:%M:%S" if moment - time.time() < 300 else "%H:%M", shown)


def is_usage_limit(reading: StateReading) -> bool:
    from workflows.agents.state import AgentState

    return reading.state is AgentState.BLOCKED and reading.detail.get("reason") == "usage_limit"


def resume_time(reading: StateReading, pauses: int, now: float) -> tuple[float, str]:
    """When to continue, and why then."""
    settings = limit_settings()
    shown = str(reading.detail.get("resets") or "")
    at = reset_at(shown, now) if shown else None
    if at is not None and (pauses == 0 or at > now):
        # A reset already past (read late, or after a restart) is waited out by the margin
        # alone, once: a limit still there after it backs off.
        return max(at, now) + settings.margin_s, f"the limit resets {shown}"
    wait = min(settings.backoff_s * 2**pauses, settings.max_wait_s)
    said = f"it showed {shown!r}, not a time ahead" if shown else "it showed no reset time"
    return now + wait, f"{said}; backing off {wait:.0f}s"


def wait_out_usage_limit(
    ctx: StepContext, driver: TmuxDriver, agent: RunAgent, reading: StateReading, pauses: int
) -> float:
    """Pause the run until the limit lifts, then send the continue prompt; the seconds
    paused (the step's own timeout does not count them)."""
    settings = limit_settings()
    message = str(reading.detail.get("message") or "usage limit reached")
    if pauses >= settings.max_pauses:
        raise StepFailed(
            f"agent {agent.name} is still at its usage limit after {pauses} pause(s) "
            f"([usage_limits] max_pauses): {message}"
        )
    started = time.time()
    until, why = resume_time(reading, pauses, started)
    paused = f"{agent.name} hit its usage limit ({message})"
    record_limit(ctx.runs.store, agent.record.profile, until, message)
    _pause(ctx, until, paused, f"{why}; then a continue prompt")
    clear_limit(ctx.runs.store, agent.record.profile)
    ctx.event("resumed", f"usage limit wait over; sending {agent.name} a continue prompt")
    deliver(ctx, driver, agent, CONTINUE, kind="continue")
    return time.time() - started


def wait_while_limited(ctx: StepContext, agent: RunAgent) -> None:
    """Before a step's prompt: an agent whose profile another run found at its usage limit
    waits for that reset instead of spending a request on the limit message."""
    limit = limited(ctx.runs.store, agent.record.profile)
    if limit is None:
        return
    until, message = limit
    paused = f"{agent.name} waits: profile {agent.record.profile} is at its usage limit ({message})"
    _pause(ctx, until, paused, "then the step's prompt")
    ctx.event("resumed", f"usage limit wait over; sending {agent.name} the step's prompt")


def _pause(ctx: StepContext, until: float, paused: str, then: str) -> None:
    """The run reads ``paused until HH:MM`` (and why) until ``until``."""
    ctx.runs.update_context(ctx.run.id, paused_until=until, paused_reason=paused, attention=None)
    ctx.event("paused", f"paused until {clock_text(until)}: {paused}; {then}")
    try:
        while (left := until - time.time()) > 0:
            ctx.sleep(min(POLL_S, left))
    finally:
        ctx.runs.update_context(ctx.run.id, paused_until=None, paused_reason=None)
