"""Cleaning finished runs: what it would take away (for a confirmation), and all at once.

Cleaning a run (``runner.clean_run``) closes every tmux window of the run (its runner and
agents), removes the worktree the run created and its agents' recordings, and its files on
the hosts it worked on (``host_cleanup``: a host out of reach is tried again by the next
clean); the branch, the store's record and the log stay. A worktree with uncommitted
changes is never removed without ``force``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workflows.base.errors import AgentTuiError
from workflows.base.target import TmuxTarget
from workflows.forge.git import dirty_files
from workflows.runs.host_cleanup import clean_on_hosts, pending_runs, run_hosts, work_on_host
from workflows.runs.recording.files import RecordingLimits, prune, run_casts
from workflows.runs.records import FINAL, worker_alive
from workflows.runs.run_store import RunStore
from workflows.tmux.driver import PaneInfo


@dataclass(frozen=True)
class CleanPlan:
    run_id: str
    status: str
    windows: list[str] = field(default_factory=list)  # "name (pane %3)" of each pane
    worktree: str | None = None  # removed by the clean (the run made it)
    branch: str | None = None  # stays
    dirty: list[str] = field(default_factory=list)  # uncommitted files: the clean refuses
    refused: str | None = None  # why this run cannot be cleaned now
    recordings: list[str] = field(default_factory=list)  # agents' recordings: removed
    hosts: list[str] = field(default_factory=list)  # where its files there are removed

    def lines(self) -> list[str]:
        """What a confirmation says about this run."""
        if self.refused:
            return [f"run {self.run_id}: not cleaned — {self.refused}"]
        lines = [f"run {self.run_id} ({self.status}):"]
        if self.windows:
            lines.append(f"  closes {len(self.windows)} window(s): {', '.join(self.windows)}")
        else:
            lines.append("  no tmux windows left")
        if self.worktree:
            lines.append(f"  removes worktree {self.worktree} (branch {self.branch} stays)")
        else:
            lines.append("  no worktree of its own to remove")
        if self.recordings:
            lines.append(f"  removes {len(self.recordings)} recording(s) of its agents")
        if self.hosts:
            lines.append(f"  removes its files on host {', '.join(self.hosts)}")
        return lines


def clean_plan(run_id: str, panes: list[PaneInfo], runs: RunStore | None = None) -> CleanPlan:
    runs = runs or RunStore()
    record = runs.get(run_id)
    status = record.summary().status
    windows = [f"{pane.name or pane.window_name} ({pane.pane_id})" for pane in panes
               if pane.run_id == record.id]  # fmt: skip
    worktree = record.context.get("worktree") if record.context.get("own_worktree") else None
    branch = record.context.get("branch")
    if status not in FINAL or worker_alive(record.id):
        return CleanPlan(record.id, status, refused=f"it is {status}; cancel it first")
    dirty: list[str] = []
    if worktree and Path(worktree).is_dir():
        try:
            dirty = dirty_files(Path(worktree))
        except AgentTuiError as error:
            return CleanPlan(record.id, status, refused=str(error))
    if dirty:
        shown = ", ".join(dirty[:5]) + (" …" if len(dirty) > 5 else "")
        refused = f"worktree {worktree} has uncommitted changes: {shown}"
        return CleanPlan(record.id, status, windows, worktree, branch, dirty, refused)
    if left := work_on_host(record):
        return CleanPlan(record.id, status, windows, worktree, branch, refused=left)
    recordings = [str(path) for path in run_casts(record.id)]
    hosts = sorted(run_hosts(runs, record))
    return CleanPlan(
        record.id, status, windows, worktree, branch, recordings=recordings, hosts=hosts
    )


def finished_runs(runs: RunStore | None = None) -> list[str]:
    """Runs that ended (succeeded, failed, cancelled) and were not cleaned yet."""
    runs = runs or RunStore()
    return [
        record.id
        for record in runs.all_runs()
        if record.summary().status in FINAL and not record.context.get("cleaned")
    ]


def clean_finished(*, target: TmuxTarget, force: bool = False) -> list[dict[str, Any]]:
    """Clean every finished run; one result per run, with the error of those refused."""
    from workflows.runs.runner import clean_run

    results: list[dict[str, Any]] = []
    for run_id in finished_runs():
        try:
            results.append(clean_run(run_id, target=target, force=force, on_hosts=False))
        except AgentTuiError as error:
            results.append({"run": run_id, "error": str(error)})
    # Their files on hosts, with those an earlier clean could not reach: one ssh per host.
    runs = RunStore()
    on_hosts = clean_on_hosts(runs, pending_runs(runs), target.socket)
    for result in results:
        result.update(on_hosts.pop(result["run"], {}))
    results += [{"run": run_id, **rest} for run_id, rest in on_hosts.items()]
    prune(RecordingLimits.from_config())  # and any recordings past their age or size limit
    return results
