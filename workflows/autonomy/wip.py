"""WIP snapshots: every N minutes, a run's worktree is committed to a ref nobody works on.

A safety net from Tmux-Orchestrator's auto-commit, made harmless: the snapshot is built
with a temporary index (``GIT_INDEX_FILE``), so the agent's index, branch, HEAD and files
are never touched, and it lands on ``refs/agenttui/wip/<run-id>`` (each snapshot's parent is
the previous one, the first one's is HEAD). Unchanged worktrees add no commit. Off by
default: ``[watch] wip_every = "15m"`` makes ``agenttui watch`` take snapshots of active runs;
``agenttui wip RUN`` takes one now. Restore with ``git checkout refs/agenttui/wip/<run> -- .``.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from workflows.base.errors import AgentTuiError

IDENTITY = {
    "GIT_AUTHOR_NAME": "agenttui",
    "GIT_AUTHOR_EMAIL": "agenttui@localhost",
    "GIT_COMMITTER_NAME": "agenttui",
    "GIT_COMMITTER_EMAIL": "agenttui@localhost",
}


def wip_ref(run_id: str) -> str:
    return f"refs/agenttui/wip/{run_id}"


def _git(worktree: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        ["git", "-C", str(worktree), *args], capture_output=True, text=True, timeout=60,
        env={**os.environ, **(env or {})}, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise AgentTuiError(f"git {args[0]} in {worktree}: {done.stderr.strip()}")
    return done.stdout.strip()


def _resolve(worktree: Path, ref: str) -> str | None:
    done = subprocess.run(
        ["git", "-C", str(worktree), "rev-parse", "--verify", "-q", ref + "^{commit}"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    return done.stdout.strip() if done.returncode == 0 else None


def snapshot(worktree: Path, run_id: str) -> str | None:
    """Commit the worktree's current files to the run's WIP ref; the new commit, or None
    when nothing changed since the last snapshot."""
    parent = _resolve(worktree, wip_ref(run_id)) or _resolve(worktree, "HEAD")
    with tempfile.TemporaryDirectory(prefix="agenttui-wip-") as scratch:
        index = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        if parent is not None:
            _git(worktree, "read-tree", parent, env=index)
        _git(worktree, "add", "-A", ".", env=index)
        tree = _git(worktree, "write-tree", env=index)
    if parent is not None and _git(worktree, "rev-parse", f"{parent}^{{tree}}") == tree:
        return None
    message = f"agenttui WIP snapshot of run {run_id}"
    parents = ["-p", parent] if parent else []
    commit = _git(worktree, "commit-tree", tree, *parents, "-m", message, env=IDENTITY)
    _git(worktree, "update-ref", wip_ref(run_id), commit)
    return commit


def snapshot_active_runs() -> dict[str, str | None]:
    """Snapshot every running run that has a worktree: run id → new commit (None: unchanged
    or failed, which is recorded as a run event rather than stopping the others)."""
    from workflows.runs.run_store import RunStore
    from workflows.runs.runner import effective_status

    runs = RunStore()
    taken: dict[str, str | None] = {}
    for record in runs.all_runs():
        worktree = record.context.get("worktree")
        if effective_status(record).status != "running" or not worktree:
            continue
        try:
            taken[record.id] = snapshot(Path(str(worktree)), record.id)
        except AgentTuiError as error:
            taken[record.id] = None
            runs.event(record.id, "wip", f"WIP snapshot failed: {error}")
            continue
        if taken[record.id]:
            runs.event(record.id, "wip", f"WIP snapshot {taken[record.id]} on {wip_ref(record.id)}")
    return taken
