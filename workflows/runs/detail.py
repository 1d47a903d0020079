"""One run seen as a person wants it: its steps as a timeline, each attempt with its output.

Built from the run store only (the definition snapshot, the step attempts, the run's
summary); the one file read is the output an agent is writing right now, so a running
step's notes show before the step ends. No UI here: the TUI renders these values.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from workflows.runs.records import ACTIVE, Attempt, RunSummary
from workflows.runs.run_store import RunStore
from workflows.runs.usage import Usage, grouped, total, usage_rows

OUTPUT_LIMIT = 200_000
"""Characters of an output file shown (a runaway agent can write megabytes)."""

# What a timeline entry can say: done, running, waiting (for a person), failed, skipped
# (nothing to do, or never reached in a run that ended), pending (not reached yet),
# cancelled.
DONE, RUNNING, WAITING, FAILED = "done", "running", "waiting", "failed"
SKIPPED, PENDING, CANCELLED = "skipped", "pending", "cancelled"


@dataclass(frozen=True)
class AttemptView:
    """One attempt of a step: a round of a loop, or a remedy for another step."""

    seq: int
    round: int
    role: str  # "step", or "remedy" when it ran to fix another step
    status: str  # one of the statuses above
    started_at: float
    finished_at: float | None
    error: str | None
    output: str  # what the attempt produced (an agent's notes, a command's output)

    def duration(self, now: float) -> float:
        return max(0.0, (self.finished_at or now) - self.started_at)


@dataclass(frozen=True)
class StepView:
    id: str
    kind: str
    description: str
    status: str
    output_file: str | None  # the file an agent step writes (relative to the worktree)
    max_rounds: int
    loops: bool  # its failures are retried (until / on_fail): attempts are rounds of a loop
    attempts: list[AttemptView] = field(default_factory=list)

    @property
    def rounds(self) -> int:
        return sum(1 for attempt in self.attempts if attempt.role == "step")

    def duration(self, now: float) -> float | None:
        if not self.attempts:
            return None
        return sum(attempt.duration(now) for attempt in self.attempts)


@dataclass(frozen=True)
class RunDetail:
    summary: RunSummary
    steps: list[StepView]
    base: str
    repo: str
    read_at: float
    usage: Usage = field(default_factory=Usage)  # the run's tokens and cost so far
    usage_by_step: dict[str, Usage] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        return str(self.summary.id)

    @property
    def active(self) -> bool:
        return self.summary.status in ACTIVE


def _attempt_output(attempt: Attempt) -> str:
    outputs = attempt.outputs
    if "output" in outputs:
        return str(outputs.get("output") or "")
    if "url" in outputs:  # a pull request or a preview
        return str(outputs["url"])
    if "actions" in outputs:  # the Linear step: how many actions it took (the log has each)
        return f"{outputs['actions']} action(s) on the issues; the log (L) lists each one"
    return ""


def _read_live_output(worktree: str | None, output_file: str | None) -> str:
    """The file a running agent step is writing, when it already exists."""
    if not worktree or not output_file:
        return ""
    path = Path(worktree) / output_file
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return handle.read(OUTPUT_LIMIT)
    except OSError:
        return ""


def _attempt_status(attempt: Attempt, *, run_active: bool, waiting: bool) -> str:
    if attempt.status == "running":
        if not run_active:  # the runner stopped in the middle of it
            return FAILED
        return WAITING if waiting else RUNNING
    if attempt.status == "succeeded":
        return SKIPPED if attempt.outputs.get("skipped") else DONE
    if attempt.status == "cancelled":
        return CANCELLED
    return FAILED


def _step_status(attempts: list[AttemptView], run_status: str) -> str:
    if attempts:
        return attempts[-1].status
    if run_status in ACTIVE or run_status == "failed":  # a resume can still reach it
        return PENDING
    return SKIPPED


def load_run_detail(run_id: str, runs: RunStore | None = None) -> RunDetail:
    """The run's timeline: every step of its definition in order, with its attempts."""
    runs = runs or RunStore()
    record = runs.get(run_id)
    summary = record.summary()
    run_active = summary.status in ACTIVE
    waiting = bool(summary.attention)
    by_step: dict[str, list[AttemptView]] = {}
    for attempt in runs.attempts(record.id):
        status = _attempt_status(attempt, run_active=run_active, waiting=waiting)
        output = _attempt_output(attempt)
        by_step.setdefault(attempt.step_id, []).append(
            AttemptView(
                seq=attempt.seq,
                round=attempt.round,
                role=attempt.role,
                status=status,
                started_at=attempt.started_at,
                finished_at=attempt.finished_at,
                error=attempt.error,
                output=output,
            )
        )
    usage = usage_rows(runs.store, [record.id])
    steps = []
    for raw in record.definition.get("steps", []):
        step_id = str(raw.get("id", ""))
        attempts = by_step.get(step_id, [])
        output_file = raw.get("output")
        if attempts and attempts[-1].status in (RUNNING, WAITING) and not attempts[-1].output:
            live = _read_live_output(summary.worktree, output_file)
            attempts[-1] = replace(attempts[-1], output=live)
        steps.append(
            StepView(
                id=step_id,
                kind=str(raw.get("kind", "")),
                description=str(raw.get("description") or ""),
                status=_step_status(attempts, str(summary.status)),
                output_file=output_file,
                max_rounds=int(raw.get("max_rounds") or 1),
                loops=bool(raw.get("until") or raw.get("on_fail")),
                attempts=attempts,
            )
        )
    return RunDetail(
        summary=summary,
        steps=steps,
        base=str(record.context.get("base") or ""),
        repo=str(record.context.get("repo") or record.params.get("repo") or ""),
        read_at=time.time(),
        usage=total(usage),
        usage_by_step=grouped(usage, "step_id"),
    )
