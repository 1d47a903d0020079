"""Worker steps: an orchestrating agent's plan fans out to worker agents, and is waited for.

From Tmux-Orchestrator's orchestrator/worker split, made deterministic: the orchestrating
agent writes a task list (``tasks``: a file in the worktree, one task per line; ``- ``/``* ``
/``1.`` bullets and blank lines are ignored); this step starts one worker agent per task
(session ``<step-id>-<n>``, profile ``agent``), sends each the step's ``prompt`` followed by
its own task, tagged as coming from the orchestrator, and waits until every worker has
written ``.agenttui/<step-id>/worker-<n>.md``. Outputs: ``output`` (every worker's answer,
under a heading naming its task) and ``count``. The next agent step — the orchestrator —
reads them through ``{steps.<id>.output}``.

Exactly once, as for agent steps (``steps.delivery``): a resumed runner finishes giving a
worker its task and never sends it twice; a worker whose agent is gone is started again
with its task (``steps.restart``).
"""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from workflows.agents.messaging import tag_message
from workflows.agents.settings import load_profile
from workflows.definitions.placeholders import render
from workflows.runs.steps.agent import _wait_for_turn
from workflows.runs.steps.base import StepContext, StepFailed, StepResult
from workflows.runs.steps.delivery import (
    RunAgent,
    deliver,
    in_flight,
    locate,
    resume,
    run_agent_for,
)
from workflows.runs.steps.restart import with_restarts
from workflows.runs.steps.sessions import ensure_agent, pane_name, profile_name_for

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
    driver = TmuxDriver(ctx.target)
    try:
        return _run(ctx, driver, tasks)
    finally:
        driver.close()


def _run(ctx: StepContext, driver: TmuxDriver, tasks: list[str]) -> StepResult:
    outputs = [f".agenttui/{ctx.step.id}/worker-{n}.md" for n in range(1, len(tasks) + 1)]
    workers = []
    for number, (task, output) in enumerate(zip(tasks, outputs, strict=True), start=1):
        worker_ctx = _for_worker(ctx, f"{ctx.step.id}-{number}", output)
        # The absolute path: unambiguous for every agent, whatever its cwd handling.
        prompt = worker_prompt(ctx, number, len(tasks), task, str(ctx.worktree / output))
        worker = _Worker(worker_ctx, driver, prompt, ctx.worktree / output, task)
        with_restarts(worker_ctx, driver, worker.start)
        workers.append(worker)
    sections = []
    for worker in workers:  # they work in parallel meanwhile
        with_restarts(worker.ctx, driver, worker.finish)
        text = worker.output.read_text(encoding="utf-8", errors="replace")
        sections.append(f"## {worker.name}: {worker.task}\n\n{text.strip()}\n")
    ctx.event("workers", f"{len(tasks)} worker(s) finished")
    return StepResult(ok=True, outputs={"output": "\n".join(sections), "count": str(len(tasks))})


@dataclasses.dataclass
class _Worker:
    ctx: StepContext
    driver: TmuxDriver
    prompt: str
    output: Path
    task: str
    agent: RunAgent | None = None
    since: float = 0.0

    @property
    def name(self) -> str:
        return pane_name(self.ctx.run.id, self.ctx.step.session)

    def start(self) -> None:
        """Give the worker its task, or finish giving it (a resumed runner)."""
        ctx, driver = self.ctx, self.driver
        earlier = in_flight(ctx, self.name)
        if earlier:
            profile = load_profile(profile_name_for(ctx))
            self.agent = locate(ctx, driver, earlier[-1], profile)
            self.since = resume(
                ctx, driver, self.agent, earlier[-1], self.prompt, answer=self.output
            )
            return
        pane, profile = ensure_agent(ctx, driver, ctx.step.session, profile_name_for(ctx))
        self.agent = run_agent_for(ctx, pane, profile)
        self.output.unlink(missing_ok=True)
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self.since = time.time()
        deliver(ctx, driver, self.agent, self.prompt)

    def finish(self) -> None:
        """Wait until the worker wrote its answer (started again if its agent was lost)."""
        if self.agent is None:
            self.start()
        assert self.agent is not None
        agent, self.agent = self.agent, None  # lost unless the wait returns
        _wait_for_turn(self.ctx, self.driver, agent, output=self.output, since=self.since)
        self.agent = agent


def _for_worker(ctx: StepContext, session: str, output: str) -> StepContext:
    step = dataclasses.replace(ctx.step, session=session, output=output)
    return dataclasses.replace(ctx, step=step)
