"""Worker steps: an orchestrating agent's plan fans out to worker agents, and is waited for.

From Tmux-Orchestrator's orchestrator/worker split, made deterministic: the orchestrating
agent writes a task list (``tasks``: a file in the worktree, one task per line; ``- ``/``* ``
/``1.`` bullets and blank lines are ignored); this step starts one worker agent per task
(session ``<step-id>-<n>``, profile ``agent``), sends each the step's ``prompt`` followed by
its own task, tagged as coming from the orchestrator, and waits until every worker has
written ``.agenttui/<step-id>/worker-<n>.md``. Outputs: ``output`` (every worker's answer,
under a heading naming its task) and ``count``. The next agent step — the orchestrator —
reads them through ``{steps.<id>.output}``.

Exactly once, as for agent steps: each worker's delivery is recorded before sending, and a
resumed runner waits for a worker that already got its task instead of sending it again.
"""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from workflows.definitions.placeholders import render
from workflows.orchestration import tag_message
from workflows.steps.agent import _deliver, _live_pane, _wait_for_turn
from workflows.steps.base import StepContext, StepFailed, StepResult
from workflows.steps.sessions import ensure_agent, pane_name, profile_name_for

if TYPE_CHECKING:
    from workflows.tmux.driver import TmuxDriver

BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
MAX_WORKERS = 8


def read_tasks(path: Path) -> list[str]:
    """One task per non-empty line of ``path``, list markers stripped."""
    if not path.is_file():
        raise StepFailed(f"the task list {path} was not written (the orchestrator writes it)")
    tasks = [BULLET.sub("", line).strip() for line in path.read_text(encoding="utf-8").splitlines()]
    tasks = [task for task in tasks if task]
    if not tasks:
        raise StepFailed(f"the task list {path} holds no tasks")
    if len(tasks) > MAX_WORKERS:
        raise StepFailed(f"the task list {path} holds {len(tasks)} tasks; at most {MAX_WORKERS}")
    return tasks


def worker_prompt(ctx: StepContext, number: int, total: int, task: str, output: str) -> str:
    intro = render(ctx.step.prompt or "", {**ctx.values, "output": output})
    body = (
        f"{intro}\n\nYour task (worker {number} of {total}):\n{task}\n\n"
        f"Write your answer to the file: {output}\n"
    )
    return tag_message(pane_name(ctx.run.id, "orchestrator"), body)


def run_workers(ctx: StepContext) -> StepResult:
    from workflows.tmux.driver import TmuxDriver

    tasks = read_tasks(ctx.worktree / (ctx.step.tasks or ""))
    driver = TmuxDriver(ctx.socket, ctx.session)
    try:
        return _run(ctx, driver, tasks)
    finally:
        driver.close()


def _run(ctx: StepContext, driver: TmuxDriver, tasks: list[str]) -> StepResult:
    outputs = [f".agenttui/{ctx.step.id}/worker-{n}.md" for n in range(1, len(tasks) + 1)]
    delivered = {
        d.agent_name: d
        for d in ctx.runs.deliveries(ctx.run.id, ctx.seq)
        if d.status in ("sending", "submitted")
    }
    started = []
    for number, (task, output) in enumerate(zip(tasks, outputs, strict=True), start=1):
        session = f"{ctx.step.id}-{number}"
        name = pane_name(ctx.run.id, session)
        worker_ctx = _for_worker(ctx, session, output)
        if name in delivered:
            pane = _live_pane(driver, delivered[name].pane_id, name)
            since = delivered[name].created_at
            ctx.event("resume", f"{name} already has its task; waiting for it")
        else:
            pane, _profile = ensure_agent(worker_ctx, driver, session, profile_name_for(ctx))
            (ctx.worktree / output).unlink(missing_ok=True)
            (ctx.worktree / output).parent.mkdir(parents=True, exist_ok=True)
            since = time.time()
            # The absolute path: unambiguous for every agent, whatever its cwd handling.
            prompt = worker_prompt(ctx, number, len(tasks), task, str(ctx.worktree / output))
            _deliver(worker_ctx, driver, pane, _profile, prompt)
        started.append((worker_ctx, pane, since, task, output))
    sections = []
    for worker_ctx, pane, since, task, output in started:  # they work in parallel meanwhile
        from workflows.agents.profiles import load_profile

        _wait_for_turn(
            worker_ctx,
            driver,
            pane,
            profile=load_profile(profile_name_for(ctx)),
            output=ctx.worktree / output,
            since=since,
        )
        text = (ctx.worktree / output).read_text(encoding="utf-8", errors="replace")
        sections.append(f"## {pane.name}: {task}\n\n{text.strip()}\n")
    ctx.event("workers", f"{len(tasks)} worker(s) finished")
    return StepResult(ok=True, outputs={"output": "\n".join(sections), "count": str(len(tasks))})


def _for_worker(ctx: StepContext, session: str, output: str) -> StepContext:
    step = dataclasses.replace(ctx.step, session=session, output=output)
    return dataclasses.replace(ctx, step=step)
