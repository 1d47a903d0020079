"""What the run store holds, as values: a run, a step attempt, a prompt delivery.

Also where a run's files live (``state_dir()/runs/<id>.log|lock``) and whether its
runner is alive: the runner holds ``<id>.lock`` with flock, which the kernel releases when
the process dies however it dies, so a dead runner is told apart without trusting pids.
"""

from __future__ import annotations

import fcntl
import json
import time
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from workflows.base.paths import state_dir
from workflows.tmux.locks import lock_held
from workflows.tmux.server import ServerIdentity


class RunStatus(StrEnum):
    """Where a run is (a StrEnum: equal to its text, as stored and printed)."""

    QUEUED = "queued"  # waiting for a free slot (workflows.runs.queue)
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    STOPPED = "stopped"  # its issues no longer want it (workflows.runs.follow); resumable


STARTED = (RunStatus.PENDING, RunStatus.RUNNING)
"""A runner was started (or is starting) for it: what takes a slot under ``max_running``."""
ACTIVE = (RunStatus.QUEUED, *STARTED)
RUNNER_START_GRACE_S = 60.0
FINAL = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.STOPPED)


@dataclass(frozen=True)
class RunSummary:
    """One run as people and agents see it (``agenttui runs``, the runs screen, a run's
    detail): its status already says when its runner died."""

    id: str
    workflow: str
    issues: list[str]
    status: RunStatus
    current_step: str | None
    pr_url: str | None
    error: str | None
    attention: str | None  # who or what a running run waits for
    branch: str | None
    worktree: str | None
    cleaned: bool
    created_at: float
    updated_at: float
    finished_at: float | None
    paused_until: float | None = None  # a running run waiting out an agent's usage limit
    paused_reason: str | None = None
    qa_waiting: str | None = None  # "QA's verdict on staging (URL)": a slot step asked QA

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def status_text(self) -> str:
        """``running``…, or ``paused until 14:05`` while it waits out a usage limit."""
        if self.paused_until is None:
            return self.status.value
        return "paused until " + time.strftime("%H:%M", time.localtime(self.paused_until))

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status.value}


def tmux_server_gone(run_id: str, server: ServerIdentity) -> str:
    """Why a run stopped when the tmux server it worked in went away."""
    return (
        f"the tmux server the run worked in ({server}) is gone (it crashed or was stopped), "
        f"and its runner and agents with it; `agenttui resume {run_id}` starts the step "
        "again with new agents"
    )


@dataclass(frozen=True)
class RunRecord:
    id: str
    workflow: str
    definition: dict[str, Any]
    issues: list[str]
    params: dict[str, Any]
    status: str
    current_step: str | None
    cursor: dict[str, Any]
    context: dict[str, Any]
    pr_url: str | None
    error: str | None
    cancel_requested: bool
    worker_pid: int | None
    created_at: float
    updated_at: float
    finished_at: float | None

    def _runner_lost(self) -> str:
        """Why a run marked running has no runner: its tmux server gone (a crash, a
        kill-server), or the runner alone."""
        recorded = self.context.get("tmux_server")
        if recorded and not (server := ServerIdentity.from_json(recorded)).running():
            return f"during {self.current_step}: " + tmux_server_gone(self.id, server)
        return (
            f"the runner stopped unexpectedly during {self.current_step}; "
            f"`agenttui resume {self.id}` continues from the last completed step"
        )

    def summary(self) -> RunSummary:
        """What ``agenttui runs --json`` (and the TUI) show for one run.

        A run marked running whose runner no longer holds its lock (killed, machine
        rebooted) shows as failed, with how to continue it.
        """
        status, error = self.status, self.error
        if status in STARTED and not worker_alive(self.id):
            if status == "running":
                status, error = "failed", self._runner_lost()
            elif time.time() - self.updated_at > RUNNER_START_GRACE_S:
                status, error = (
                    "failed",
                    (
                        f"the runner never started; see tmux window run-{self.id}, then "
                        f"`agenttui resume {self.id}`"
                    ),
                )
        attention = self.context.get("attention") if status in STARTED else None
        if status == RunStatus.QUEUED:
            attention = self.context.get("queued_for")
        paused = status == "running" and self.context.get("paused_until") is not None
        qa = self.context.get("qa_waiting") if status == "running" else None
        return RunSummary(
            id=self.id,
            workflow=self.workflow,
            issues=self.issues,
            status=RunStatus(status),
            current_step=self.current_step,
            pr_url=self.pr_url,
            error=error,
            attention=str(attention) if attention else None,
            branch=self.context.get("branch"),
            worktree=self.context.get("worktree"),
            cleaned=bool(self.context.get("cleaned")),
            created_at=self.created_at,
            updated_at=self.updated_at,
            finished_at=self.finished_at,
            paused_until=float(self.context["paused_until"]) if paused else None,
            paused_reason=str(self.context.get("paused_reason") or "") if paused else None,
            qa_waiting=qa_waiting_text(qa) if qa else None,
        )


def qa_waiting_text(waiting: dict[str, Any]) -> str:
    url = waiting.get("url")
    return f"QA's verdict on {waiting.get('slot')}" + (f" ({url})" if url else "")


@dataclass(frozen=True)
class Attempt:
    run_id: str
    seq: int
    step_id: str
    round: int
    role: str  # "step", or "remedy" when run to fix another step's failure
    status: str  # running | succeeded | failed
    outputs: dict[str, Any]
    error: str | None
    started_at: float = 0.0
    finished_at: float | None = None


@dataclass(frozen=True)
class Delivery:
    id: int
    run_id: str
    seq: int
    step_id: str
    pane_id: str
    agent_name: str
    chars: int
    status: str  # sending | submitted | failed
    detail: str
    created_at: float
    kind: str = "prompt"  # prompt | reminder | followup:<activity id>


def run_file(run_id: str, suffix: str) -> Path:
    """``state_dir()/runs/<run-id>.<suffix>`` (log, lock)."""
    directory = state_dir() / "runs"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{run_id}.{suffix}"


def worker_alive(run_id: str) -> bool:
    """True while a runner holds the run's lock (flock: released by the kernel on death).

    A shared lock: any number of readers can look at once without ever keeping a starting
    runner from its exclusive one for more than an instant.
    """
    return lock_held(run_file(run_id, "lock"))


def take_runner_lock(run_id: str, *, wait: float = 5.0) -> IO[str] | None:
    """The runner's exclusive lock, held open for its life; None if another runner has it.

    Readers hold a shared lock for microseconds, so a failed try is retried for ``wait``.
    """
    handle = run_file(run_id, "lock").open("a")
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() > deadline:
                handle.close()
                return None
            time.sleep(0.05)


def run_log_path(run_id: str) -> Path:
    return run_file(run_id, "log")


def run_from_row(row: Any) -> RunRecord:
    return RunRecord(
        id=row["id"],
        workflow=row["workflow"],
        definition=json.loads(row["definition"]),
        issues=json.loads(row["issues"]),
        params=json.loads(row["params"]),
        status=row["status"],
        current_step=row["current_step"],
        cursor=json.loads(row["cursor"]),
        context=json.loads(row["context"]),
        pr_url=row["pr_url"],
        error=row["error"],
        cancel_requested=bool(row["cancel_requested"]),
        worker_pid=row["worker_pid"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        finished_at=row["finished_at"],
    )


def attempt_from_row(row: Any) -> Attempt:
    return Attempt(
        run_id=row["run_id"],
        seq=row["seq"],
        step_id=row["step_id"],
        round=row["round"],
        role=row["role"],
        status=row["status"],
        outputs=json.loads(row["outputs"]),
        error=row["error"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
    )
