"""WIP snapshots: the worktree's files land on a private ref; the agent's git state is untouched."""

from __future__ import annotations

from pathlib import Path

from tests.support.git_repos import make_project, run_git
from workflows.autonomy.wip import snapshot, wip_ref


def test_snapshot_commits_files_without_touching_index_or_branch(tmp_path: Path) -> None:
    repo = make_project(tmp_path).repo
    head = run_git(repo, "rev-parse", "HEAD")
    assert snapshot(repo, "r1") is None  # nothing changed since HEAD

    (repo / "README.md").write_text("# project\nedited\n")
    (repo / "new.txt").write_text("untracked work\n")
    run_git(repo, "add", "README.md")  # the agent staged one file
    status_before = run_git(repo, "status", "--porcelain")

    first = snapshot(repo, "r1")
    assert first is not None
    assert run_git(repo, "rev-parse", wip_ref("r1")) == first
    assert run_git(repo, "rev-parse", f"{first}^") == head
    assert run_git(repo, "show", f"{first}:new.txt") == "untracked work"
    assert run_git(repo, "show", f"{first}:README.md").endswith("edited")
    # The agent's HEAD, branch, index and files are exactly as they were.
    assert run_git(repo, "rev-parse", "HEAD") == head
    assert run_git(repo, "status", "--porcelain") == status_before

    assert snapshot(repo, "r1") is None  # unchanged: no empty commit
    (repo / "new.txt").unlink()
    second = snapshot(repo, "r1")
    assert second is not None and run_git(repo, "rev-parse", f"{second}^") == first
    assert "new.txt" not in run_git(repo, "ls-tree", "--name-only", second)


def test_wip_verb_snapshots_running_runs(tmp_path: Path) -> None:
    import fcntl
    import json
    import subprocess
    import sys

    from workflows.base.paths import state_dir
    from workflows.runs.run_store import RunStore

    repo = make_project(tmp_path).repo
    runs = RunStore()
    live = runs.create("noop", {}, ["ENG-1"], {})
    runs.update(live.id, status="running")
    runs.update_context(live.id, worktree=str(repo))
    (repo / "work.txt").write_text("in progress\n")
    (state_dir() / "runs").mkdir(exist_ok=True)
    with (state_dir() / "runs" / f"{live.id}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # what a live runner holds
        done = subprocess.run(
            [sys.executable, "-m", "tui", "wip", "--json"],
            capture_output=True,
            text=True,
            check=True,
        )
    [(run_id, commit)] = json.loads(done.stdout)["snapshots"].items()
    assert run_id == live.id
    assert run_git(repo, "show", f"{wip_ref(live.id)}:work.txt") == "in progress"
    assert run_git(repo, "rev-parse", wip_ref(live.id)) == commit
    events = [e["message"] for e in runs.events(live.id)]
    assert any(commit in message for message in events)
