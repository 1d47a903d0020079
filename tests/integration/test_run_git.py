"""Git and GitHub for runs, on real repositories, worktrees, a bare remote and a local API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.git_repos import make_project, run_git
from tests.support.github_server import GitHubServer
from workflows.forge import git
from workflows.forge.github import GitHubError, create_pull_request


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHubServer]:
    server = GitHubServer().start()
    monkeypatch.setenv("GITHUB_API_URL", server.url)
    monkeypatch.setenv("GITHUB_TOKEN", server.token)
    yield server
    server.stop()


def test_worktree_commit_push_and_notes_stay_out(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    base = git.default_base(project.repo)
    assert base == "main"
    tree = git.prepare_worktree(project.repo, "eng-1-fix", base, tmp_path / "wt" / "run1")
    assert run_git(tree, "branch", "--show-current") == "eng-1-fix"
    (tree / ".agenttui" / "notes.md").write_text("private notes\n")
    assert git.dirty_files(tree) == []
    assert git.commit_all(tree, "nothing") is None
    (tree / "feature.py").write_text("print('hi')\n")
    sha = git.commit_all(tree, "Add feature")
    assert sha and git.commits_ahead(tree, base) == 1
    assert run_git(tree, "show", "--name-only", "--format=", "HEAD") == "feature.py"
    git.push(tree, "eng-1-fix")
    assert run_git(project.remote, "rev-parse", "refs/heads/eng-1-fix") == sha
    # The branch is now checked out there: a second preparation reuses that clean worktree.
    assert git.prepare_worktree(project.repo, "eng-1-fix", base, tmp_path / "other") == tree


def test_dirty_existing_worktree_is_refused(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    tree = git.prepare_worktree(project.repo, "eng-2", "main", tmp_path / "wt")
    (tree / "half-done.py").write_text("x = 1\n")
    with pytest.raises(git.GitError, match=r"has uncommitted changes: half-done\.py"):
        git.prepare_worktree(project.repo, "eng-2", "main", tmp_path / "wt2")


def test_missing_repo_and_missing_base(tmp_path: Path) -> None:
    with pytest.raises(git.GitError, match="repository not found"):
        git.repo_root(tmp_path / "nope")
    (tmp_path / "plain").mkdir()
    with pytest.raises(git.GitError, match="not a git repository"):
        git.repo_root(tmp_path / "plain")
    project = make_project(tmp_path)
    with pytest.raises(git.GitError, match="base branch 'develop' not found"):
        git.prepare_worktree(project.repo, "x", "develop", tmp_path / "wt")


def test_rejected_push_reports_gits_reason(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    tree = git.prepare_worktree(project.repo, "eng-3", "main", tmp_path / "wt")
    (tree / "a.txt").write_text("mine\n")
    git.commit_all(tree, "mine")
    # Someone else pushed a different history to the same branch first.
    other = tmp_path / "other"
    run_git(tmp_path, "clone", "-q", str(project.remote), str(other))
    (other / "b.txt").write_text("theirs\n")
    run_git(other, "checkout", "-q", "-b", "eng-3")
    run_git(other, "add", "-A")
    run_git(other, "-c", "user.name=o", "-c", "user.email=o@x", "commit", "-q", "-m", "theirs")
    run_git(other, "push", "-q", "origin", "eng-3")
    with pytest.raises(
        git.GitError,
        match=r"push of branch eng-3 to origin was rejected: .*"
        r"(rejected|fetch first|non-fast-forward)",
    ):
        git.push(tree, "eng-3")


def test_github_remote_parsing(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert git.remote_github_repo(project.repo) is None
    for url in (
        "git@github.com:acme/widgets.git",
        "https://github.com/acme/widgets",
        "ssh://git@github.com/acme/widgets.git",
    ):
        run_git(project.repo, "remote", "set-url", "origin", url)
        assert git.remote_github_repo(project.repo) == "acme/widgets"


def test_pull_request_created_once_and_422_reported(tmp_path: Path, github: GitHubServer) -> None:
    project = make_project(tmp_path)
    github.remote = project.remote
    tree = git.prepare_worktree(project.repo, "eng-4", "main", tmp_path / "wt")
    with pytest.raises(GitHubError, match=r"HTTP 422\): Validation Failed: head invalid"):
        create_pull_request("acme/widgets", head="eng-4", base="main", title="T", body="B")
    (tree / "f.txt").write_text("x\n")
    git.commit_all(tree, "f")
    git.push(tree, "eng-4")
    first = create_pull_request("acme/widgets", head="eng-4", base="main", title="T", body="B")
    again = create_pull_request("acme/widgets", head="eng-4", base="main", title="T", body="B")
    assert first.created and not again.created and again.url == first.url
    assert [p["head"]["ref"] for p in github.pulls] == ["eng-4"]
    github.fail_next_422 = "Base branch was modified"
    github.pulls.clear()
    with pytest.raises(GitHubError) as caught:
        create_pull_request("acme/widgets", head="eng-4", base="main", title="T", body="B")
    assert "HTTP 422" in str(caught.value) and "Base branch was modified" in str(caught.value)
    assert github.token not in str(caught.value)


def test_bad_token_and_no_token(
    tmp_path: Path, github: GitHubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "wrong-secret-value")
    with pytest.raises(GitHubError, match=r"HTTP 401\): Bad credentials") as caught:
        create_pull_request("acme/widgets", head="b", base="main", title="T", body="B")
    assert "wrong-secret-value" not in str(caught.value)
    monkeypatch.delenv("GITHUB_TOKEN")
    with pytest.raises(GitHubError, match="GITHUB_TOKEN is not set"):
        create_pull_request("acme/widgets", head="b", base="main", title="T", body="B")
