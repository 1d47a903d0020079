"""The script that removes a cleaned run's files on a host (``runs.host_cleanup``), run here by
``sh`` under a HOME of its own as ssh runs it there: the run's worktree (a real git worktree
of the host's clone), its refs and its unfetched recordings go; other runs' files stay; a
clone path full of shell syntax is only a path."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.git_repos import run_git
from workflows.base.errors import AgentTuiError
from workflows.runs.host_cleanup import host_script


def test_a_runs_files_on_a_host_go_and_nothing_else(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cache = home / ".cache" / "agenttui"
    repo = home / "it's $(touch pwned) `touch pwned2` ; touch pwned3"
    repo.mkdir(parents=True)
    run_git(repo, "init", "-q", "-b", "main")
    (repo / "a.txt").write_text("a\n")
    run_git(repo, "add", "a.txt")
    run_git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a")
    head = run_git(repo, "rev-parse", "HEAD")
    for run_id in ("r1", "r2"):
        run_git(
            repo, "worktree", "add", "-q", "-b", f"b-{run_id}", str(cache / "worktrees" / run_id)
        )
        (cache / "worktrees" / run_id / "new.txt").write_text("uncommitted")  # forced
        for ref in (f"refs/agenttui/{run_id}", f"refs/agenttui/{run_id}-back"):
            run_git(repo, "update-ref", ref, head)
        (cache / "recordings" / run_id).mkdir(parents=True)
        (cache / "recordings" / run_id / "r-main-1a2b.events").write_text("[0.1]\n")

    done = subprocess.run(
        ["sh", "-c", host_script(str(repo), ["r1"], "no-such-server")],
        cwd=tmp_path,
        env={**os.environ, "HOME": str(home)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert not (cache / "worktrees" / "r1").exists()
    assert not (cache / "recordings" / "r1").exists()
    refs = run_git(repo, "for-each-ref", "--format=%(refname)", "refs/agenttui").split()
    assert refs == ["refs/agenttui/r2", "refs/agenttui/r2-back"]
    worktrees = run_git(repo, "worktree", "list", "--porcelain")
    assert "worktrees/r1" not in worktrees and "worktrees/r2" in worktrees
    assert run_git(repo, "branch", "--list", "b-r1")  # the branch stays, as here
    assert (cache / "recordings" / "r2" / "r-main-1a2b.events").exists()
    assert not list(tmp_path.rglob("pwned*"))  # the path's shell syntax was never run


def test_no_path_hides_in_a_run_id() -> None:
    with pytest.raises(AgentTuiError, match="not a run id"):
        host_script("", ["../../etc"])
