"""Which worktree bounds an agent's deletes: its run's, not wherever it has cd'ed to.

An agent can ``cd ..`` and then delete a sibling; judging deletes against its current
directory would let that pass. The run an agent pane belongs to (tmux option
``@agenttui_run``) names the worktree; an agent outside a run is bounded by the git
checkout around its directory, else by the directory itself. Runs sit above approvals, so
the entry points (the hook verb's CLI, the guard's callers) pass in how a run's worktree is
found (:data:`RunWorktree`, ``workflows.runs.run_store.run_worktree``).
"""

from __future__ import annotations

import os
import posixpath
import subprocess
from collections.abc import Callable
from pathlib import Path

from workflows.agents.hook_origin import current_origin

RunWorktree = Callable[[str], str | None]
"""The worktree of a run (by id), None when the run is unknown or has none."""
RunRepo = Callable[[str], str | None]
"""The repository a run works for here (by id), None when the run is unknown."""


def pane_run_id() -> str:
    """The run of the tmux pane this process runs in ($TMUX_PANE), '' when none."""
    pane, server = os.environ.get("TMUX_PANE"), os.environ.get("TMUX", "")
    if not pane or not server:
        return ""
    try:
        done = subprocess.run(
            ["tmux", "-S", server.split(",")[0], "display-message", "-p", "-t", pane,
             "#{@agenttui_run}"],
            capture_output=True, text=True, timeout=5, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def git_toplevel(cwd: str | Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(cwd), "rev-parse", "--show-toplevel"],
            capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def main_checkout(cwd: str | Path) -> Path | None:
    """The main checkout of the repository containing ``cwd`` (worktrees map to it)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(cwd), "rev-parse", "--path-format=absolute", "--git-common-dir"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return Path(checkout_of_common_dir(out.stdout.strip()))


def checkout_of_common_dir(common: str) -> str:
    """A main checkout from its git common dir: ``REPO/.git`` → ``REPO`` (a bare one as is).
    Plain path text: it serves a host's paths too, which are never looked up here."""
    return posixpath.dirname(common) if posixpath.basename(common) == ".git" else common


def worktree_for(cwd: str | Path, run_id: str, run_worktree: RunWorktree) -> str | None:
    """The run's worktree, else the git checkout around ``cwd``, else None (``cwd``). For a
    host's hook handled here (the relay), what bounds it there, as the host found it."""
    origin = current_origin()
    if origin is not None:
        return origin.worktree or None
    return (run_worktree(run_id) if run_id else None) or git_toplevel(cwd)
