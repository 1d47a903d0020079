"""Steps with ``host = "NAME"`` (or a workflow's ``host``): their agent works, or their
command (tests) runs, on that host, in the run's worktree there (``runs.host_worktree``
moves the work over and back).

Where the work is goes into the run's context (``on_host``: host, attempt, path) before
the step starts there and leaves it once the work is back, so a runner killed meanwhile
resumes the step on the host without sending the older work here over the newer there.

A host out of reach while the work moves there or back, or during a pull request step's git
there, is waited for as an agent step waits for its host (``wait_for_host``: the run's log
and ``runs`` say so with ssh's reason), then the same move or step goes on: each is safe to
do again (a push already made is up to date there, an open pull request is found).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from workflows.base.errors import AgentTuiError
from workflows.base.hosts import SshHost, host_named
from workflows.base.target import TmuxTarget
from workflows.definitions.model import Workflow
from workflows.runs.host_worktree import from_host, to_host
from workflows.runs.steps.base import Cancelled, StepContext, StepFailed, StepResult
from workflows.tmux.host_choice import choose_host
from workflows.tmux.ssh import HostUnreachable, run_remote, ssh_result

HOST_KINDS = ("agent", "spawn", "shell", "pull_request")
AGAIN_KINDS = ("pull_request",)  # run again whole when their host drops: their git is
HOST_POLL_S = 2.0
T = TypeVar("T")


def step_host(ctx: StepContext, workflow: Workflow) -> str:
    """The host (or pool) a step works on: its own ``host``, the workflow's, the run's
    (``run --host``, the watcher's); "" for this machine. A pull request step of a run that
    worked on a host pushes from there (``worked_on``: the last host a step worked on)."""
    if ctx.step.kind not in HOST_KINDS:
        return ""
    named = ctx.step.host or workflow.host or str(ctx.run.params.get("host") or "")
    if ctx.step.kind == "pull_request":
        return named or str(ctx.run.context.get("worked_on") or "")
    return named


def _host(ctx: StepContext, name: str) -> SshHost:
    """The host ``name`` names; for a pool, the member chosen for this run (once, so a
    session's agent and the steps after it stay on one host)."""
    chosen = dict(ctx.run.context.get("pool_choice") or {})
    try:
        if name in chosen:
            return host_named(str(chosen[name]))
        host = choose_host(name, ctx.target)
    except AgentTuiError as error:
        raise StepFailed(f"step {ctx.step.id!r} runs on host {name!r}: {error}") from error
    if host.name != name:
        ctx.runs.update_context(ctx.run.id, pool_choice={**chosen, name: host.name})
        ctx.event("host", f"pool {name!r}: host {host.name!r} has the most room", host=host.name)
    return host


def run_on_host(
    ctx: StepContext, workflow: Workflow, run_step: Callable[[StepContext], StepResult]
) -> StepResult:
    """Run the step where it works: here, or on its host with the work moved there first and
    back afterwards, each move (and a pull request step whole) waiting for the host while
    it cannot be reached."""
    name = step_host(ctx, workflow)
    if not name:
        return run_step(ctx)
    host = _host(ctx, name)
    there = _reaching(ctx, host, lambda: _moved_to(ctx, host))
    if ctx.step.kind in AGAIN_KINDS:
        result = _reaching(ctx, host, lambda: run_step(there))
    else:  # an agent step waits for its host itself; a command is never run twice
        result = run_step(there)
    _reaching(ctx, host, lambda: back_from_host(there))
    return result


def _reaching(ctx: StepContext, host: SshHost, action: Callable[[], T]) -> T:
    """``action()``; when it fails and ``host`` cannot be reached, wait for the host (up to
    the step's timeout) and do it again."""
    waiting = dataclasses.replace(ctx, host=host)
    deadline = time.monotonic() + ctx.step.effective_timeout()
    while True:
        try:
            return action()
        except Cancelled:
            raise
        except AgentTuiError as error:
            reason = error if isinstance(error, HostUnreachable) else unreachable(host)
            if reason is None:
                raise  # the host answers: the failure is the step's own
            deadline += wait_for_host(waiting, reason, deadline)


def unreachable(host: SshHost) -> HostUnreachable | None:
    """ssh's reason when ``host`` cannot be reached now; None when it answers."""
    try:
        ssh_result(host, "true", timeout=HOST_POLL_S * 5)
    except HostUnreachable as error:
        return error
    return None


def _moved_to(ctx: StepContext, host: SshHost) -> StepContext:
    """``ctx`` as the step sees it on ``host``, the run's work moved there first."""
    placed = ctx.run.context.get("on_host") or {}
    if placed.get("host") == host.name and placed.get("seq") == ctx.seq:
        there = str(placed["path"])  # a resumed attempt: its newer work is there already
    else:
        here = ctx.worktree
        there = to_host(host, here, run_id=ctx.run.id, branch=str(ctx.run.context["branch"]))
        placed = {"host": host.name, "seq": ctx.seq, "path": there}
        ctx.runs.update_context(ctx.run.id, on_host=placed)
        ctx.event("host", f"work moved to host {host.name!r} ({there})", host=host.name)
    target = TmuxTarget(ctx.target.socket, ctx.target.session, host)
    return dataclasses.replace(ctx, worktree=Path(there), target=target, host=host)


def pushing_host(ctx: StepContext) -> SshHost | None:
    """The host a run's branch is pushed from: the step's own, else the host the run
    worked on (``worked_on``); None for a run that never worked on one (pushed here)."""
    if ctx.host is not None:
        return ctx.host
    name = str(ctx.runs.get(ctx.run.id).context.get("worked_on") or "")
    return host_named(name) if name else None


def on_pushing_host(ctx: StepContext, push: Callable[[], T]) -> T:
    """``push()`` (a step's commit and push of the run's branch, safe to do again) waiting
    for the host it pushes from while that cannot be reached, as a step on it would."""
    host = pushing_host(ctx)
    return push() if host is None else _reaching(ctx, host, push)


@contextmanager
def pushing_side(ctx: StepContext) -> Iterator[tuple[Path, SshHost | None]]:
    """Where a step commits and pushes the run's branch (the slot step, ``pr_feedback``'s fix
    rounds): the step's worktree, or, for a run that worked on a host, the run's worktree on
    that host with this one laid out there first and the result (the commit pushed) back
    here afterwards, so the push is the host's, as the pull request step's is."""
    host = pushing_host(ctx)
    if host is None or ctx.host is not None:
        yield ctx.worktree, ctx.host
        return
    there = to_host(host, ctx.worktree, run_id=ctx.run.id, branch=str(ctx.run.context["branch"]))
    yield Path(there), host
    from_host(host, there, ctx.worktree, run_id=ctx.run.id)


def back_from_host(ctx: StepContext) -> None:
    """After a step on a host: its work into the run's worktree here."""
    if ctx.host is None:
        return
    here = Path(ctx.run.context["worktree"])
    from_host(ctx.host, str(ctx.worktree), here, run_id=ctx.run.id)
    ctx.runs.update_context(ctx.run.id, on_host=None, worked_on=ctx.host.name)
    ctx.event("host", f"work back from host {ctx.host.name!r}", host=ctx.host.name)


def wait_for_host(ctx: StepContext, error: AgentTuiError, deadline: float) -> float:
    """The step's host cannot be reached: say so (the run's log, ``agenttui runs``) and wait
    for it until ``deadline`` (its agents keep running in its tmux); the seconds waited.
    StepFailed with ssh's reason when it does not come back in time."""
    host = ctx.host
    if host is None:
        raise error
    started = time.monotonic()
    ctx.event("host", f"host {host.name!r} unreachable, waiting for it: {error}", host=host.name)
    ctx.runs.update_context(ctx.run.id, attention=f"host {host.name!r} unreachable: {error}")
    while True:
        ctx.sleep(HOST_POLL_S)
        try:
            run_remote(host, "true", timeout=HOST_POLL_S * 5)
            break
        except AgentTuiError as still:
            if time.monotonic() > deadline:
                raise StepFailed(
                    f"host {host.name!r} still unreachable after "
                    f"{time.monotonic() - started:.0f}s: {still}"
                ) from still
    waited = time.monotonic() - started
    ctx.runs.update_context(ctx.run.id, attention=None)
    ctx.event("host", f"host {host.name!r} back after {waited:.0f}s", host=host.name)
    return waited
