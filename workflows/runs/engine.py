"""The workflow engine: runs a definition's steps in order, one attempt at a time, resumably.

The cursor (next step, rounds used, a pending remedy) is saved with each finished attempt,
so a runner killed at any point resumes at the first unfinished attempt. A failing step with
``on_fail`` gets its remedy step run (with ``{failure}`` set) and then runs again, until
``max_rounds``; then ``exhausted`` decides between failing the run and moving on.
Decisions come from files and exit codes only, never from what a screen says.
"""

from __future__ import annotations

import importlib
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workflows.base.errors import AgentTuiError
from workflows.base.target import TmuxTarget
from workflows.definitions.model import STEP_KINDS, Step, Workflow
from workflows.runs.run_store import RunRecord, RunStore
from workflows.runs.steps.base import Cancelled, StepContext, StepResult
from workflows.runs.steps.on_host import run_on_host
from workflows.runs.steps.setup import group_title, issues_text, prepare_run


@dataclass
class Cursor:
    pc: int = 0  # index of the next step in the definition
    seq: int = 0  # number of the next attempt
    rounds: dict[str, int] = field(default_factory=dict)  # attempts finished, per step
    remedy_for: str | None = None  # a failed step whose on_fail remedy runs next
    failure: str = ""  # what {failure} holds for that remedy


def failure_summary(failure: str) -> str:
    """What failed and how it ended, on one line: a failure's first line (the command and
    its exit code) and, when there is more, its last line (the end of its output)."""
    lines = [line.strip() for line in failure.strip().splitlines() if line.strip()]
    if len(lines) <= 1:
        return lines[0] if lines else ""
    return f"{lines[0]} … {lines[-1]}"


def _run_step(ctx: StepContext) -> StepResult:
    """Run one attempt; then record the tokens its agents used (a failed attempt's too) and
    stop if that reached a budget."""
    try:
        result = step_runner(ctx.step.kind)(ctx)
    finally:
        ctx.record_usage()
    ctx.check_budget()
    return result


def next_attempt(workflow: Workflow, cursor: Cursor) -> tuple[Step, str, int]:
    """The step the cursor runs next, as ``step`` or as a failed step's ``remedy``, and its
    round."""
    failing = workflow.steps[cursor.pc]
    if cursor.remedy_for:
        remedy = workflow.steps[workflow.step_index(failing.on_fail or "")]
        return remedy, "remedy", cursor.rounds.get(failing.id, 0)  # the round that failed
    return failing, "step", cursor.rounds.get(failing.id, 0) + 1


def step_runner(kind: str) -> Callable[[StepContext], StepResult]:
    """The function that runs ``kind``, as STEP_KINDS names it (a module is imported only
    when a run reaches one of its steps)."""
    module, _, function = STEP_KINDS[kind].runner.partition(":")
    runner: Callable[[StepContext], StepResult] = getattr(
        importlib.import_module(f"workflows.runs.steps.{module}"), function
    )
    return runner


class Engine:
    def __init__(
        self,
        run_id: str,
        *,
        target: TmuxTarget,
        runs: RunStore | None = None,
        before_finish: Callable[[], None] | None = None,
    ) -> None:
        self.runs = runs or RunStore()
        self.run_id = self.runs.get(run_id).id
        self.target = target
        self.before_finish = before_finish
        """Done before the run's final status is written (the runner closes its agents'
        recordings): a person may resume or clean the run as soon as it reads final."""

    def run(self) -> str:
        """Drive the run to an end; returns its final status."""
        run = self.runs.get(self.run_id)
        if run.status in ("succeeded", "cancelled"):
            return run.status
        self.runs.update(self.run_id, status="running", error=None, finished_at=None)
        try:
            workflow = Workflow.from_json(run.definition)
            prepare_run(self.runs, run, workflow)
            self._loop(workflow)
        except Cancelled:
            stop_for = self.runs.get(self.run_id).context.get("stop_for")
            if stop_for:  # its issues no longer want it (workflows.runs.follow)
                self._finish("stopped", str(stop_for))
                return "stopped"
            self._finish("cancelled")
            return "cancelled"
        except AgentTuiError as error:
            self._finish("failed", str(error))
            return "failed"
        except KeyboardInterrupt:
            self._finish(
                "failed",
                "interrupted (Ctrl-C in the runner window); "
                f"`agenttui resume {self.run_id}` continues",
            )
            return "failed"
        except Exception as error:  # a bug: still leave the run explained, with the trace
            self.runs.event(self.run_id, "crash", traceback.format_exc())
            self._finish("failed", f"internal error: {error!r}")
            return "failed"
        self.runs.update(self.run_id, current_step=None)
        self._finish("succeeded")
        return "succeeded"

    def _finish(self, status: str, error: str | None = None) -> None:
        try:
            if self.before_finish is not None:
                self.before_finish()
        finally:
            self.runs.finish(self.run_id, status, error)

    def _loop(self, workflow: Workflow) -> None:
        bound, attempts = workflow.attempt_bound(), 0
        while True:
            run = self.runs.get(self.run_id)
            cursor = Cursor(**run.cursor) if run.cursor else Cursor()
            if cursor.pc >= len(workflow.steps):
                return
            if run.cancel_requested:
                raise Cancelled(f"run {self.run_id} was cancelled")
            if attempts >= bound:  # a guard: _advance never lets it happen (the bounds test)
                raise AgentTuiError(
                    f"the workflow went past its bound of {bound} step attempts (max_rounds "
                    "and on_fail of its steps): stopped as a runaway loop"
                )
            self._follow_issues(run)
            step, role, round_ = next_attempt(workflow, cursor)
            self._attempt(run, workflow, cursor, step, role=role, round_=round_)
            attempts += 1

    def _follow_issues(self, run: RunRecord) -> None:
        """Before each attempt: stop here if the run's issues no longer want it. Issues that
        cannot be read now (Linear down) are said in the log and the run goes on."""
        from workflows.runs.follow import FollowRules, fetch, request_stop

        rules = FollowRules.from_config()
        try:
            issues = fetch(run.params.get("source"), run.issues)
        except AgentTuiError as error:
            self.runs.event(run.id, "follow", f"issues not checked before this step: {error}")
            return
        reason = rules.why_stop(run, issues)
        if reason:
            request_stop(self.runs, run, reason)
            raise Cancelled(reason)

    def _attempt(
        self,
        run: RunRecord,
        workflow: Workflow,
        cursor: Cursor,
        step: Step,
        *,
        role: str,
        round_: int,
    ) -> None:
        self.runs.start_attempt(run.id, cursor.seq, step.id, round_, role)
        label = f"{step.kind} step, round {round_}" + (" (remedy)" if role == "remedy" else "")
        self.runs.event(run.id, "step", f"started ({label})", step_id=step.id)
        ctx = StepContext(
            run=self.runs.get(run.id),
            runs=self.runs,
            workflow=workflow,
            step=step,
            seq=cursor.seq,
            round=round_,
            role=role,
            values=self._values(workflow, cursor, round_),
            worktree=Path(run.context["worktree"]),
            target=self.target,
        )
        try:
            result = run_on_host(ctx, workflow, _run_step)
        except AgentTuiError as error:
            # The cursor stays: resuming retries this same attempt (deliveries included).
            status = "cancelled" if isinstance(error, Cancelled) else "failed"
            self.runs.finish_attempt(
                run.id,
                cursor.seq,
                status=status,
                outputs={},
                error=str(error),
                cursor=asdict(cursor),
            )
            if isinstance(error, Cancelled):
                raise
            raise AgentTuiError(f"step {step.id!r}: {error}") from error
        next_cursor, stop = self._advance(workflow, cursor, step, role, result)
        status = "succeeded" if result.ok else "failed"
        self.runs.finish_attempt(
            run.id,
            cursor.seq,
            status=status,
            outputs=result.outputs,
            error=None if result.ok else stop or "did not pass",
            cursor=asdict(next_cursor),
        )
        self.runs.event(run.id, "step", f"{status} (round {round_})", step_id=step.id)
        if stop:
            raise AgentTuiError(stop)  # resuming gives the step one more fresh attempt

    def _advance(
        self, workflow: Workflow, cursor: Cursor, step: Step, role: str, result: StepResult
    ) -> tuple[Cursor, str | None]:
        """The cursor after this attempt, and why the run stops here (None: it goes on)."""
        nxt = Cursor(pc=cursor.pc, seq=cursor.seq + 1, rounds=dict(cursor.rounds))
        if role == "remedy":
            if not result.ok:  # keep the remedy pending: resuming runs it again
                nxt.remedy_for, nxt.failure = cursor.remedy_for, cursor.failure
                return nxt, (
                    f"step {step.id!r} failed while fixing {workflow.steps[cursor.pc].id!r}"
                )
            return nxt, None  # the failed step runs again
        nxt.rounds[step.id] = cursor.rounds.get(step.id, 0) + 1
        if result.ok:
            nxt.pc += 1
            return nxt, None
        rounds_left = nxt.rounds[step.id] < step.max_rounds
        if result.back_to and result.back_to in step.requires:
            if not rounds_left:
                return nxt, (
                    f"step {step.id!r} sent the run back to {result.back_to!r} "
                    f"{step.max_rounds - 1} time(s) (its max_rounds) and still cannot go on: "
                    f"{failure_summary(result.failure)[:300]}"
                )
            nxt.pc = workflow.step_index(result.back_to)
            self.runs.event(
                self.run_id,
                "loop",
                f"{failure_summary(result.failure)}: back to {result.back_to!r} "
                f"(round {nxt.rounds[step.id]} of {step.max_rounds})",
                step_id=step.id,
            )
            return nxt, None
        if step.on_fail and rounds_left:
            nxt.remedy_for, nxt.failure = step.id, result.failure
            self.runs.event(
                self.run_id,
                "loop",
                f"did not pass; {step.on_fail!r} fixes it "
                f"(round {nxt.rounds[step.id]} of {step.max_rounds})",
                step_id=step.id,
            )
            return nxt, None
        if step.exhausted == "continue":
            self.runs.event(
                self.run_id,
                "loop",
                f"still not passing after {nxt.rounds[step.id]} round(s); continuing",
                step_id=step.id,
            )
            nxt.pc += 1
            return nxt, None
        return nxt, (
            f"step {step.id!r} did not pass after {nxt.rounds[step.id]} round(s): "
            f"{failure_summary(result.failure)[:300]}"
        )

    def _values(self, workflow: Workflow, cursor: Cursor, round_: int) -> dict[str, str]:
        run = self.runs.get(self.run_id)
        context: dict[str, Any] = run.context
        issues = context.get("issues", [])
        values = {
            "issues": issues_text(issues),
            "group": group_title(issues),
            "issue_ids": ", ".join(issue["identifier"] for issue in issues),
            "branch": context.get("branch", ""),
            "base": context.get("base", ""),
            "worktree": context.get("worktree", ""),
            "repo": context.get("repo", ""),
            "run_id": run.id,
            "workflow": workflow.name,
            "test_command": context.get("test_command", ""),
            "github_repo": context.get("github_repo", ""),
            "failure": cursor.failure,
            "round": str(round_),
            "pr_url": run.pr_url or "",
            "pr_number": "",
            "preview_url": "",
            "request": str(run.params.get("request") or ""),
        }
        for step_id, outputs in self.runs.latest_outputs(run.id).items():
            for name, value in outputs.items():
                values[f"steps.{step_id}.{name}"] = "" if value is None else str(value)
            if "url" in outputs:
                key = "pr_url" if "number" in outputs else "preview_url"
                values[key] = str(outputs["url"])
                if "number" in outputs:
                    values["pr_number"] = str(outputs["number"])
        return values
