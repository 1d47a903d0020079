"""The stall guard: an agent step that shows no progress for its stall time fails, saying so.

Progress is anything an agent at work changes: its screen (a real CLI's spinner and elapsed
time move every second while it thinks), its hook events (a tool call, a turn's end), the
output file it was asked for, its state. A step waiting for a person or out a usage limit is
not stalled (a person or the clock is what it waits for): the clock starts again after.
``[runs] stall_after`` (seconds, default 900; 0: never) or a step's own ``stall`` sets it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from workflows.base.config import table
from workflows.runs.steps.base import StepFailed

if TYPE_CHECKING:
    from workflows.agents.state import StateReading
    from workflows.definitions.model import Step
    from workflows.runs.steps.base import StepContext
    from workflows.runs.steps.delivery import RunAgent
    from workflows.tmux.driver import PaneInfo

STALL_AFTER_S = 900.0


def stall_time(step: Step) -> float:
    """The step's stall time in seconds (0: never)."""
    if step.stall is not None:
        return float(step.stall)
    return table("runs").get_float("stall_after", STALL_AFTER_S, minimum=0)


class Progress:
    """When the agent last showed progress, from what it changes between polls."""

    def __init__(self, stall_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.stall_s = stall_s
        self.clock = clock
        self.last_change = clock()
        self.seen = ""

    def restart(self) -> None:
        """A person or a usage limit was what it waited for: count from now."""
        self.last_change, self.seen = self.clock(), ""

    def observe(self, *signals: object) -> None:
        fingerprint = hashlib.sha256(repr(signals).encode()).hexdigest()
        if fingerprint != self.seen:
            self.seen, self.last_change = fingerprint, self.clock()

    def stalled_for(self) -> float | None:
        """Seconds without progress once past the stall time, else None."""
        quiet = self.clock() - self.last_change
        return quiet if self.stall_s and quiet >= self.stall_s else None


def watch_progress(
    progress: Progress,
    ctx: StepContext,
    agent: RunAgent,
    screen: list[str],
    *,
    pane: PaneInfo,
    reading: StateReading,
    output: Path | None,
) -> None:
    """Note what the agent changed since the last poll; fail the step once it changed nothing
    for its stall time. An agent waiting for a person is not stalled: the clock restarts."""
    from workflows.agents.hooks import recent_events

    if reading.state.needs_person:
        progress.restart()
        return
    newest = recent_events(
        ctx.runs.store, pane_id=pane.pane_id, server=agent.record.server.hook_key, limit=1
    )
    hook = (newest[0].kind, round(time.time() - newest[0].age_s, 1)) if newest else None
    written = None
    if output is not None and ctx.host is None and output.is_file():  # (on a host: screen, hooks)
        stat = output.stat()
        written = (stat.st_mtime_ns, stat.st_size)
    progress.observe(reading.state, screen, hook, written)
    quiet = progress.stalled_for()
    if quiet is None:
        return
    what = "its screen, its hook events" + (f" and {ctx.step.output}" if output else "")
    raise StepFailed(
        f"agent {pane.name} stalled: no progress for {quiet:.0f}s ({what} unchanged; it was "
        f"{reading.state.value}; stall time {progress.stall_s:g}s)"
    )
