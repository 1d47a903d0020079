"""A run tells the person when one of its agents starts waiting for them — unless an app
watches the agents' tmux server, which tells them itself (``agents.app_presence``).

Left to itself for a night, a run otherwise waited in silence until someone looked: the
runs list showed who waits, but nobody was told. The same ``[tui] notify_command`` as the
app's (or its default, a message on every terminal attached to the tmux server).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workflows.agents.app_presence import app_is_watching
from workflows.agents.notify import Waiting, configured_notify_command, notify_waiting, waiting_what
from workflows.base.errors import AgentTuiError
from workflows.tmux.protocol import tmux_base_argv

if TYPE_CHECKING:
    from workflows.agents.state import StateReading
    from workflows.runs.steps.base import StepContext
    from workflows.tmux.driver import PaneInfo


def mark_attention(ctx: StepContext, pane: PaneInfo, reading: StateReading) -> None:
    """The run's agent started or stopped waiting for a person: ``agenttui runs`` and the
    app show who waits for whom, the log says it once with the screen's lines, and the
    person is told."""
    if not reading.state.needs_person:
        ctx.runs.update_context(ctx.run.id, attention=None)
        return
    waiting = f"{pane.name} ({pane.pane_id}) is {reading.summary()}"
    ctx.runs.update_context(ctx.run.id, attention=waiting)
    shown = "".join(f"\n  | {line}" for line in reading.detail.get("lines", []))
    ctx.event("attention", f"{waiting}; a person is needed{shown}", pane=pane.pane_id)
    tell_person(ctx, pane.name, reading)


def tell_person(ctx: StepContext, agent_name: str, reading: StateReading) -> None:
    """Notify the person that ``agent_name`` waits (the step's loop has nothing else to do
    meanwhile: the notify command's own timeout bounds the call)."""
    if app_is_watching(ctx.target):
        return
    state = reading.state.value
    waiting = Waiting(agent_name, state, waiting_what(reading.detail, state), ctx.run.id)
    try:
        outcome = notify_waiting(
            configured_notify_command(), waiting, tmux=tmux_base_argv(ctx.target.socket)
        )
    except AgentTuiError as error:
        ctx.event("notify", f"could not tell the person: {error}")
        return
    ctx.event("notify", f"no app open: told the person ({outcome})")
