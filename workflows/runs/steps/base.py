"""What every step kind gets (the run's context) and returns (a result), and step errors."""

from __future__ import annotations

import shlex
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workflows.base.errors import AgentTuiError
from workflows.base.hosts import SshHost
from workflows.base.target import TmuxTarget
from workflows.definitions.model import Step, Workflow
from workflows.runs.run_store import RunRecord, RunStore

POLL_S = 0.5


class StepFailed(AgentTuiError):
    """A step could not do its job; the run fails with this message (resumable)."""


class Cancelled(AgentTuiError):
    """The run was cancelled while a step was waiting."""


@dataclass
class StepResult:
    ok: bool
    outputs: dict[str, Any] = field(default_factory=dict)
    failure: str = ""  # what {failure} holds for the remedy step when ok is False
    back_to: str | None = None  # ok False: go back to this step it requires (its work is stale)


@dataclass
class StepContext:
    """One attempt of one step: everything a step kind needs, nothing global."""

    run: RunRecord
    runs: RunStore
    workflow: Workflow
    step: Step
    seq: int
    round: int
    role: str  # "step" or "remedy"
    values: dict[str, str]  # placeholder values, already including steps.<id>.<field>
    worktree: Path
    """Where the step works: the run's worktree, or its worktree on ``host``."""
    target: TmuxTarget
    usage_read_at: float = field(default_factory=time.monotonic)
    host: SshHost | None = None
    """The host the step works on (``host =``; its agents in the host's tmux), or None."""

    def file_exists(self, path: Path) -> bool:
        """Whether a file of the worktree exists (on the host for a step there)."""
        if self.host is None:
            return path.is_file()
        from workflows.tmux.ssh import run_remote

        quoted = shlex.quote(str(path))
        return run_remote(self.host, f"test -f {quoted} && echo yes || true").strip() == "yes"

    def read_file(self, path: Path) -> str:
        if self.host is None:
            return path.read_text(encoding="utf-8", errors="replace")
        from workflows.tmux.ssh import run_remote

        return run_remote(self.host, f"cat -- {shlex.quote(str(path))}")

    def remove_file(self, path: Path) -> None:
        if self.host is None:
            path.unlink(missing_ok=True)
            return
        from workflows.tmux.ssh import remove_file

        remove_file(self.host, str(path))

    def event(self, kind: str, message: str, **data: Any) -> None:
        self.runs.event(self.run.id, kind, message, step_id=self.step.id, data=data or None)

    def check_cancelled(self) -> None:
        if self.runs.get(self.run.id).cancel_requested:
            raise Cancelled(f"run {self.run.id} was cancelled")

    def sleep(self, seconds: float = POLL_S) -> None:
        """Wait between polls, noticing a cancel request; the tokens used so far are read
        every ``[budget] check_every_s`` (tiles, budgets)."""
        self.check_cancelled()
        from workflows.runs.budget import budget

        if time.monotonic() - self.usage_read_at > budget().check_every_s:
            self.record_usage()
            self.check_budget()
        time.sleep(seconds)

    def record_usage(self) -> None:
        """Record what this attempt's agents used so far (said in the log if unreadable:
        a run never stops for its accounting)."""
        from workflows.runs.usage import record_usage

        self.usage_read_at = time.monotonic()
        try:
            record_usage(self.runs, self.run.id, self.seq, self.step.id, self.target)
        except (OSError, AgentTuiError, sqlite3.Error) as error:
            self.event("usage", f"tokens used not read: {error}")

    def check_budget(self) -> None:
        """Stop the run (its agents interrupted) once it or today reached its budget."""
        from workflows.runs.budget import over_budget, stop_for_budget

        reason = over_budget(self.runs.store, self.run.id)
        if reason is not None:
            stop_for_budget(self.runs, self.run.id, reason, self.target)
