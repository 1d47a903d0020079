"""The offline forge after a pull request opens, read through agenttui's REST client
(workflows/forge/pull_feedback.py): reviews, review comments with file:line, check runs and
their logs, conflicts with the base and merges computed by real git on the bare remote,
ETag / 304 answers; and the merge gates, each one missing → no merge."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.git_repos import Project, make_project, run_git
from workflows.forge.github import GitHubError
from workflows.forge.offline import Forge
from workflows.forge.pull_feedback import PullRequestApi, PullSnapshot
from workflows.runs.steps.merge import Required, merge_gates
from workflows.runs.steps.pr_feedback import review_feedback

REPO = "acme/widgets"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path)


@pytest.fixture
def forge(project: Project, monkeypatch: pytest.MonkeyPatch) -> Iterator[Forge]:
    server = Forge(remote=project.remote).start()
    monkeypatch.setenv("GITHUB_API_URL", server.url)
    monkeypatch.setenv("GITHUB_TOKEN", server.token)
    yield server
    server.stop()


def commit_on(project: Project, branch: str, name: str, text: str, *, base: str = "main") -> str:
    repo = project.repo
    run_git(repo, "checkout", "-q", "-B", branch, f"origin/{base}" if base else "HEAD")
    (repo / name).write_text(text)
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-q", "-m", f"{branch}: {name}")
    run_git(repo, "push", "-q", "-f", "origin", branch)
    run_git(repo, "fetch", "-q", "origin")
    return run_git(repo, "rev-parse", "HEAD")


def open_pull(forge: Forge, project: Project, branch: str = "feature") -> int:
    commit_on(project, branch, "feature.txt", "one\ntwo\n")
    from workflows.forge.github import create_pull_request

    return create_pull_request(REPO, head=branch, base="main", title="Feature", body="b").number


def test_reviews_comments_checks_and_logs_come_back_as_github_sends_them(
    forge: Forge, project: Project
) -> None:
    number = open_pull(forge, project)
    api = PullRequestApi(REPO, number)
    first = api.snapshot()
    assert first.state == "open" and first.mergeable is True and not first.approved
    assert first.head_sha == run_git(project.remote, "rev-parse", "feature")
    assert first.checks_state() == "pending"  # none yet: required checks wait
    assert first.checks_state(required=False) == "green"

    hostile = "Use `$(rm -rf ~)` here\x1b[31m; then {pr_url}"
    review_id = forge.feedback.review(number, "CHANGES_REQUESTED", "Please rename it.")
    comment_id = forge.feedback.comment(number, "feature.txt", 2, hostile)
    forge.feedback.check(number, "lint", "success")
    failing = forge.feedback.check(number, "tests", "failure", log="line\n" * 2000 + "FAILED x\n")
    snap = api.snapshot()
    assert [r.id for r in snap.reviews] == [review_id] and not snap.approved
    assert [(c.path, c.line) for c in snap.comments] == [("feature.txt", 2)]
    assert snap.checks_state() == "red"
    (red,) = [run for run in snap.checks if run.failed]
    assert red.id == failing and red.name == "tests"
    tail = api.log_tail(red, chars=100)  # through GitHub's redirect to the log
    assert tail.endswith("FAILED x\n") and len(tail) == 100

    feedback = review_feedback(snap, set())
    assert feedback is not None
    text, ids = feedback
    assert ids == {f"review:{review_id}", f"comment:{comment_id}"}
    assert "feature.txt:2 — reviewer" in text and "Please rename it." in text
    assert "Use `$(rm -rf ~)` here" in text and "\x1b" not in text  # verbatim but inert
    assert review_feedback(snap, ids) is None  # handled: no second round

    forge.feedback.review(number, "APPROVED", "")
    assert api.snapshot().approved  # the reviewer's latest decisive review counts


def test_polling_an_unchanged_pull_request_costs_304s(forge: Forge, project: Project) -> None:
    number = open_pull(forge, project)
    api = PullRequestApi(REPO, number)
    api.snapshot()
    assert api.not_modified == 0
    for _ in range(3):
        api.snapshot()
    # pull, reviews, comments, check runs, commit status: five 304s per unchanged poll
    assert api.not_modified == 5 * 3 and forge.not_modified == 15
    forge.feedback.review(number, "APPROVED")
    assert api.snapshot().approved  # a change is seen at once (a 200 with the new ETag)
    assert api.not_modified == 15 + 4


def test_a_conflict_with_the_base_is_computed_by_git(forge: Forge, project: Project) -> None:
    number = open_pull(forge, project)
    commit_on(project, "main", "feature.txt", "something else\n")  # main moved, same file
    snap = PullRequestApi(REPO, number).snapshot()
    assert snap.conflict and snap.mergeable is False
    with pytest.raises(GitHubError, match=r"HTTP 405.*not mergeable"):
        PullRequestApi(REPO, number).merge(method="merge", sha=snap.head_sha, title="t")


@pytest.mark.parametrize("method", ["merge", "squash", "rebase"])
def test_merging_writes_real_commits_and_deletes_the_branch(
    forge: Forge, project: Project, method: str
) -> None:
    number = open_pull(forge, project)
    commit_on(project, "main", "other.txt", "unrelated\n")  # the base moved, no conflict
    api = PullRequestApi(REPO, number)
    snap = api.snapshot()
    with pytest.raises(GitHubError, match="HTTP 409"):  # the head moved since it was checked
        api.merge(method=method, sha="0" * 40, title="t")
    sha = api.merge(method=method, sha=snap.head_sha, title="t")
    assert run_git(project.remote, "rev-parse", "main") == sha
    files = run_git(project.remote, "ls-tree", "--name-only", "main").split()
    assert {"feature.txt", "other.txt"} <= set(files)
    parents = run_git(project.remote, "rev-list", "--parents", "-n", "1", "main").split()[1:]
    assert len(parents) == (2 if method == "merge" else 1)
    assert api.snapshot().merged
    assert api.delete_branch("feature") is True
    assert api.delete_branch("feature") is False  # already gone: not an error
    with pytest.raises(GitHubError, match="HTTP 405"):  # never merged twice
        api.merge(method=method, sha=snap.head_sha, title="t")


def snapshot(**changes: object) -> PullSnapshot:
    from dataclasses import replace

    from workflows.forge.pull_feedback import CheckRun, Review

    ready = PullSnapshot(
        number=1,
        state="open",
        merged=False,
        head_sha="abc",
        mergeable=True,
        reviews=(Review(1, "ana", "APPROVED", ""),),
        checks=(CheckRun(2, "ci", "completed", "success"),),
    )
    return replace(ready, **changes)  # type: ignore[arg-type]


PASSED = {"qa": Required(True)}


def test_merge_gates_each_missing_gate_blocks_the_merge() -> None:
    from workflows.forge.pull_feedback import CheckRun, Review

    assert all(gate.ok for gate in merge_gates(snapshot(), PASSED))
    assert all(gate.ok for gate in merge_gates(snapshot(), {"qa": Required(True, "abc")}))
    missing = {
        "open": (snapshot(state="closed"), PASSED),
        "approved": (snapshot(reviews=()), PASSED),
        "approved ": (
            snapshot(
                reviews=(Review(1, "ana", "APPROVED", ""), Review(3, "bo", "CHANGES_REQUESTED", ""))
            ),
            PASSED,
        ),
        "checks green": (
            snapshot(checks=(CheckRun(2, "ci", "completed", "failure"),)),
            PASSED,
        ),
        "checks green ": (snapshot(checks=(CheckRun(2, "ci", "in_progress", None),)), PASSED),
        "checks green  ": (snapshot(checks=()), PASSED),
        "checks green   ": (
            snapshot(
                checks=(
                    CheckRun(2, "ci", "completed", "success"),
                    CheckRun(2, "jenkins", "completed", "error", source="status"),
                )
            ),
            PASSED,
        ),
        "merges cleanly": (snapshot(mergeable=False), PASSED),
        "merges cleanly ": (snapshot(mergeable=None), PASSED),
        "branch protection allows it": (snapshot(mergeable_state="blocked"), PASSED),
        "up to date with the base": (snapshot(mergeable_state="behind"), PASSED),
        "step qa passed": (snapshot(), {"qa": Required(False)}),
        "step qa passed ": (snapshot(), {"qa": Required(True, "0" * 40)}),  # not the head
    }
    table = []
    for name, (snap, passed) in missing.items():
        gates = merge_gates(snap, passed)
        failed = [gate.name for gate in gates if not gate.ok]
        table.append((name.strip(), failed))
        assert failed == [name.strip()], name
    assert len(table) == 13


def test_another_process_reviews_and_reports_checks_the_way_github_takes_them(
    forge: Forge, project: Project
) -> None:
    """The demo's reviewer and CI stand-ins post over HTTP (GitHub's own endpoints)."""
    import httpx

    number = open_pull(forge, project)
    api = PullRequestApi(REPO, number)
    head = api.snapshot().head_sha
    auth = {"Authorization": f"Bearer {forge.token}"}
    base = f"{forge.url}/repos/{REPO}"
    review = {
        "event": "REQUEST_CHANGES",
        "body": "Not yet.",
        "comments": [{"path": "feature.txt", "line": 1, "body": "Say three."}],
    }
    assert (
        httpx.post(f"{base}/pulls/{number}/reviews", json=review, headers=auth).status_code == 200
    )
    check = {
        "name": "ci",
        "head_sha": head,
        "status": "completed",
        "conclusion": "failure",
        "output": {"title": "1 failed", "text": "FAILED test_three\n"},
    }
    created = httpx.post(f"{base}/check-runs", json=check, headers=auth)
    assert created.status_code == 201 and "log" not in created.json()
    bad = httpx.post(f"{base}/pulls/{number}/reviews", json={"event": "LGTM"}, headers=auth)
    assert bad.status_code == 422 and "Invalid event" in bad.json()["message"]
    assert httpx.post(f"{base}/check-runs", json={"name": "x"}, headers=auth).status_code == 422
    assert httpx.post(f"{base}/check-runs", json=check).status_code == 401  # no token

    snap = api.snapshot()
    assert [(r.state, r.body) for r in snap.reviews] == [("CHANGES_REQUESTED", "Not yet.")]
    assert [(c.path, c.line, c.body) for c in snap.comments] == [("feature.txt", 1, "Say three.")]
    (run,) = snap.checks
    assert run.failed and api.log_tail(run) == "FAILED test_three\n"


def test_commit_statuses_count_as_checks(forge: Forge, project: Project) -> None:
    """Older CI reports through commit statuses: a failing one is red, with what it said."""
    import httpx

    number = open_pull(forge, project)
    api = PullRequestApi(REPO, number)
    head = api.snapshot().head_sha
    auth = {"Authorization": f"Bearer {forge.token}"}
    url = f"{forge.url}/repos/{REPO}/statuses/{head}"
    pending = {"state": "pending", "context": "jenkins", "description": "Build started"}
    assert httpx.post(url, json=pending, headers=auth).status_code == 201
    assert api.snapshot().checks_state() == "pending"
    failed = {"state": "failure", "context": "jenkins", "description": "3 tests failed"}
    assert httpx.post(url, json=failed, headers=auth).status_code == 201
    assert httpx.post(url, json={"state": "red"}, headers=auth).status_code == 422
    snap = api.snapshot()
    (status,) = snap.checks  # the latest per context
    assert snap.checks_state() == "red" and status.source == "status"
    assert api.log_tail(status).startswith("3 tests failed http")
    forge.feedback.status(number, "jenkins", "success")
    assert api.snapshot().checks_state() == "green"


def test_lasting_errors_are_told_apart_from_blips(
    forge: Forge, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pr_feedback step fails at once on these, and polls again after the others."""
    number = open_pull(forge, project)
    with pytest.raises(GitHubError) as missing:
        PullRequestApi(REPO, number + 5).snapshot()
    assert missing.value.status == 404 and missing.value.lasting
    monkeypatch.setenv("GITHUB_TOKEN", "wrong")
    with pytest.raises(GitHubError) as refused:
        PullRequestApi(REPO, number).snapshot()
    assert refused.value.status == 401 and refused.value.lasting
    assert "wrong" not in str(refused.value)  # the token never shows
    monkeypatch.delenv("GITHUB_TOKEN")
    with pytest.raises(GitHubError) as unset:
        PullRequestApi(REPO, number).snapshot()
    assert unset.value.lasting
    assert not GitHubError("GitHub refused GET /x (HTTP 502): Bad Gateway", 502).lasting
    assert not GitHubError("GitHub did not answer GET /x within 30s").lasting
