"""Real git repositories for tests: a project with a bare ``origin`` standing in for GitHub."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


def run_git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return result.stdout.strip()


@dataclass(frozen=True)
class Project:
    repo: Path  # the user's clone
    remote: Path  # bare repository it pushes to


def make_project(root: Path, test_script: str = "exit 0\n") -> Project:
    """A clone of a bare remote with one commit on ``main`` holding a ``run_tests.sh``."""
    remote = root / "remote.git"
    run_git(root, "init", "-q", "--bare", "-b", "main", str(remote))
    seed = root / "seed"
    run_git(root, "init", "-q", "-b", "main", str(seed))
    for key, value in (("user.name", "Test"), ("user.email", "test@example.invalid")):
        run_git(seed, "config", key, value)
    (seed / "README.md").write_text("# project\n")
    (seed / "run_tests.sh").write_text(test_script)
    run_git(seed, "add", "-A")
    run_git(seed, "commit", "-q", "-m", "initial")
    run_git(seed, "push", "-q", str(remote), "main")
    repo = root / "repo"
    run_git(root, "clone", "-q", str(remote), str(repo))
    for key, value in (("user.name", "Test"), ("user.email", "test@example.invalid")):
        run_git(repo, "config", key, value)
    return Project(repo=repo, remote=remote)


def land_on_main(project: Project, path: str, text: str) -> str:
    """Someone else's change to ``path`` landed on the remote's main (from a clone of their
    own); returns main's new head."""
    other = project.remote.parent / "someone-else"
    if not other.exists():
        run_git(project.remote.parent, "clone", "-q", str(project.remote), str(other))
    run_git(other, "pull", "-q", "origin", "main")
    (other / path).write_text(text)
    run_git(other, "add", "-A")
    run_git(other, "-c", "user.name=o", "-c", "user.email=o@o", "commit", "-qm", "main moves")
    run_git(other, "push", "-q", "origin", "main")
    return run_git(project.remote, "rev-parse", "main")


def git_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    (path / "README.md").write_text("# app\n")
    identity = ["-c", "user.name=t", "-c", "user.email=t@t"]
    for args in (["add", "-A"], [*identity, "commit", "-qm", "initial"]):
        subprocess.run(["git", "-C", str(path), *args], check=True)
    return path


def issue_worktree(project: Project, branch: str) -> Path:
    """A clean worktree of ``project`` already on ``branch`` (an issue's): a run reuses it, so a
    scripted model knows the absolute paths it must write to."""
    worktree = project.repo.parent / "worktree"
    run_git(project.repo, "worktree", "add", "-q", "-b", branch, str(worktree), "main")
    return worktree
