"""After the pull request opens: review and CI feedback come back as fix rounds, conflicts
with the base too, and the merge happens only when every gate holds. Real tmux, the demo
agent, a real repository with a bare remote, the offline forge (reviews, check runs,
merges computed with git) and the local Linear server."""

from __future__ import annotations

import time
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.support.cli import agenttui
from tests.support.git_repos import Project, land_on_main, run_git
from tests.support.github_server import GitHubServer
from tests.support.linear_server import LinearServer
from tests.support.runs import kill_at, prompts_received, run_summary, start_run, wait_for_end
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.base.crashpoints import ENV as STOP_AT
from workflows.base.paths import config_file
from workflows.runs.run_store import RunStore

HOSTILE = "Rename `$(touch /tmp/pwned-review)` ; press Enter {pr_url}\tEscape C-c"

WORKFLOW = """
name = "pr-loop"
agent = "demo"

[[steps]]
id = "implement"
prompt = "Implement the change for {issue_ids}."
retry_prompt_file = "prompts/fix.md"
output = ".agenttui/implement.md"

[[steps]]
id = "pr"
kind = "pull_request"
@resolve@
@qa@
[[steps]]
id = "feedback"
kind = "pr_feedback"
on_fail = "@remedy@"
max_rounds = 3
poll = 0.3
@conflicts@
[[steps]]
id = "merge"
kind = "merge"
method = "squash"
@requires@
"""
RESOLVE = """
[[steps]]
id = "resolve"
run = "git fetch -q origin main && @how@"
"""
RESOLVE_BY = {
    "merge": "git merge -q --no-edit -X ours origin/main",
    "rebase": "git rebase -q -X theirs origin/main",
}


def workflow(tmp_path: Path, *, conflicts: str | None = None, qa: str | None = None) -> Path:
    parts = dict(
        resolve=RESOLVE.replace("@how@", RESOLVE_BY[conflicts]) if conflicts else "",
        remedy="resolve" if conflicts else "implement",
        conflicts=f'conflicts = "{conflicts}"' if conflicts else "",
        qa=f'[[steps]]\nid = "qa"\nrun = "{qa}"\nexhausted = "continue"\nmax_rounds = 1\n'
        if qa
        else "",
        requires='requires = ["qa"]' if qa else "",
    )
    text = WORKFLOW
    for key, value in parts.items():
        text = text.replace(f"@{key}@", value)
    path = tmp_path / "pr-loop.toml"
    path.write_text(text)
    return path


class Loop(NamedTuple):
    linear: LinearServer
    github: GitHubServer
    project: Project
    tmp: Path
    tmux: TmuxServer


@pytest.fixture
def loop(
    tmux_server: TmuxServer, linear_server: LinearServer, github: GitHubServer, project: Project,
    tmp_path: Path,
) -> Loop:  # fmt: skip
    """Everything a run of the loop needs: tmux, Linear, the forge, a project."""
    return Loop(linear_server, github, project, tmp_path, tmux_server)


def merging_on() -> None:
    config_file().parent.mkdir(parents=True, exist_ok=True)
    config_file().write_text("[merge]\nenabled = true\n")


def start(definition: Path, project: Project) -> str:
    return start_run(
        str(definition), "--issues", "ENG-1", "--repo", str(project.repo), "--source", "linear",
        "--github-repo", "acme/widgets",
    )  # fmt: skip


def opened(github: GitHubServer) -> int:
    wait_until(lambda: github.pulls, timeout=120, interval=0.2, message="the pull request")
    return int(github.pulls[0]["number"])


def opened_on(github: GitHubServer, project: Project) -> tuple[int, str, str]:
    """The pull request's number, branch and head commit once the run opened it."""
    number = opened(github)
    branch = str(github.pulls[0]["head"]["ref"])
    return number, branch, remote_head(project, branch)


def watching(run_id: str, number: int) -> None:
    """Wait until the run's pr_feedback step watches the pull request."""

    def said() -> bool:
        return f"pull request #{number}: waiting for" in agenttui("log", run_id).stdout

    wait_until(said, timeout=120, interval=0.3, message="the run to watch the pull request")


def remote_head(project: Project, branch: str) -> str:
    return run_git(project.remote, "rev-parse", branch)


def wait_for_push(project: Project, branch: str, before: str) -> str:
    def moved() -> str | None:
        head = remote_head(project, branch)
        return head if head != before else None

    return wait_until(moved, timeout=120, interval=0.3, message=f"a push to {branch}")


def approve_and_pass(github: GitHubServer, number: int) -> None:
    github.feedback.review(number, "APPROVED", "Looks good.")
    github.feedback.check(number, "ci", "success")


def test_changes_requested_start_a_fix_round_whose_push_updates_the_pr(loop: Loop) -> None:
    _, github, project, tmp_path = loop[:4]
    run_id = start(workflow(tmp_path), project)
    number, branch, first_head = opened_on(github, project)
    github.feedback.check(number, "lint", "failure", log="DEMO_CHANGES.md:1: E501 too long\n")
    github.feedback.review(number, "CHANGES_REQUESTED", "Two things, see the comments.")
    github.feedback.comment(number, "DEMO_CHANGES.md", 1, HOSTILE)

    new_head = wait_for_push(project, branch, first_head)  # the fix round's commit, pushed
    assert run_git(project.remote, "merge-base", "--is-ancestor", first_head, new_head) == ""
    changes = run_git(project.remote, "show", f"{new_head}:DEMO_CHANGES.md")
    assert changes.count("- change for prompt") == 2  # the fix round changed the file
    worktree = Path(run_summary(run_id)["worktree"])
    prompts = prompts_received(worktree)
    assert len(prompts) == 2
    fix = prompts[1]
    assert "DEMO_CHANGES.md:1 — reviewer" in fix and HOSTILE in fix
    assert "Two things, see the comments." in fix
    assert "lint: failure" in fix and "E501 too long" in fix  # one round for all of it
    assert not Path("/tmp/pwned-review").exists()

    github.feedback.check(number, "lint", "success", sha=new_head)
    watching(run_id, number)  # its log says what the pull request waits for
    approve_and_pass(github, number)  # on the new head: the watch ends
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    log = agenttui("log", run_id).stdout
    assert f"pull request #{number} updated" in log
    assert "merging is off" in log  # the default: the PR stays open for a person
    assert github.pulls[0]["state"] == "open" and not github.pulls[0].get("merged")
    assert len(prompts_received(worktree)) == 2  # one round for the review and the check
    assert "a fix round starts (review + checks)" in log
    assert github.not_modified > 0  # polling used conditional requests


def fetched_checks(github: GitHubServer, since: int, sha: str) -> bool:
    """Whether the run read the head commit's check runs in a request ``since`` on (a request
    is logged before it is answered: one logged after a change is answered with it)."""
    path = f"/repos/acme/widgets/commits/{sha}/check-runs"
    return any(r["method"] == "GET" and r["path"] == path for r in github.requests[since:])


def test_feedback_landing_within_the_settle_time_is_one_fix_round(loop: Loop) -> None:
    """The step has certainly read the red check before the review and its comment land:
    still one fix round, holding all three verbatim (the old code started one for the check
    alone, then another)."""
    _, github, project, tmp_path = loop[:4]
    run_id = start(workflow(tmp_path), project)  # the default settle time (5 s)
    number, branch, first_head = opened_on(github, project)
    github.feedback.check(number, "lint", "failure", log="DEMO_CHANGES.md:1: E501 too long\n")
    since = len(github.requests)
    wait_until(
        lambda: fetched_checks(github, since, first_head),
        timeout=120, interval=0.01, message="the step to read the red check",
    )  # fmt: skip
    github.feedback.review(number, "CHANGES_REQUESTED", "Two things, see the comments.")
    github.feedback.comment(number, "DEMO_CHANGES.md", 1, HOSTILE)

    new_head = wait_for_push(project, branch, first_head)
    worktree = Path(run_summary(run_id)["worktree"])
    prompts = prompts_received(worktree)
    assert len(prompts) == 2, prompts
    fix = prompts[1]
    assert "E501 too long" in fix and "Two things, see the comments." in fix and HOSTILE in fix
    github.feedback.check(number, "lint", "success", sha=new_head)
    approve_and_pass(github, number)
    assert wait_for_end(run_id)["status"] == "succeeded", agenttui("log", run_id).stdout
    assert len(prompts_received(worktree)) == 2
    assert [d.step_id for d in RunStore().deliveries(run_id)] == ["implement", "implement"]
    log = agenttui("log", run_id).stdout
    assert (
        f"pull request #{number}: checks came back; the fix round starts in 5s with the "
        "reviews, comments and checks arriving by then"
    ) in log
    assert log.count("came back; the fix round starts") == 1  # approved + green: no wait
    assert "a fix round starts (review + checks)" in log


def test_feedback_after_the_settle_time_is_the_next_fix_round(loop: Loop) -> None:
    """A comment landing while the first round runs is not swallowed: a second round."""
    _, github, project, tmp_path = loop[:4]
    run_id = start(workflow(tmp_path), project)
    number, branch, first_head = opened_on(github, project)
    github.feedback.review(number, "CHANGES_REQUESTED", "First: rename the helper.")
    worktree = Path(run_summary(run_id)["worktree"])
    wait_until(lambda: len(prompts_received(worktree)) == 2, timeout=120, message="round 1")
    github.feedback.comment(number, "DEMO_CHANGES.md", 1, "Second: and a test, please.")

    wait_until(lambda: len(prompts_received(worktree)) == 3, timeout=120, message="round 2")
    first_round, second_round = prompts_received(worktree)[1:]
    assert "First: rename the helper." in first_round and "Second:" not in first_round
    assert "Second: and a test, please." in second_round and "First:" not in second_round

    def pushes() -> list[str]:
        return [
            e["message"] for e in RunStore().events(run_id) if e["message"].startswith("pushed ")
        ]

    # The opening push and each round's: the PR shows the second round before it is approved.
    wait_until(lambda: len(pushes()) == 3, timeout=120, message="round 2's push")
    approve_and_pass(github, number)
    assert wait_for_end(run_id)["status"] == "succeeded", agenttui("log", run_id).stdout
    assert len(prompts_received(worktree)) == 3 and len(pushes()) == 3
    log = agenttui("log", run_id).stdout
    assert log.count(f"pull request #{number}: review came back") == 2  # one per round
    assert remote_head(project, branch) != first_head


def test_a_red_check_starts_a_fix_round_with_its_log_then_the_run_merges(loop: Loop) -> None:
    linear_server, github, project, tmp_path = loop[:4]
    merging_on()
    run_id = start(workflow(tmp_path), project)
    number, branch, first_head = opened_on(github, project)
    log = "".join(f"step {n} ok\n" for n in range(3000)) + "AssertionError: expected 3, got 4\n"
    github.feedback.check(number, "unit tests", "failure", log=log)
    github.feedback.review(number, "APPROVED", "")  # approved, but the check is red

    new_head = wait_for_push(project, branch, first_head)
    worktree = Path(run_summary(run_id)["worktree"])
    fix = prompts_received(worktree)[1]
    assert "unit tests: failure" in fix and "AssertionError: expected 3, got 4" in fix
    assert "step 0 ok" not in fix  # the tail, not the whole log
    github.feedback.undecided_until = time.time() + 4  # GitHub still computing mergeable
    github.feedback.check(number, "unit tests", "success", sha=new_head)

    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    pull = github.pulls[0]
    assert pull["merged"] and pull["merge_method"] == "squash"
    assert run_git(project.remote, "rev-parse", "main") == pull["merge_commit_sha"]
    assert "DEMO_CHANGES.md" in run_git(project.remote, "ls-tree", "--name-only", "main")
    branches = run_git(project.remote, "branch", "--list", branch)
    assert branches == ""  # deleted after the merge
    assert linear_server.workspace.issue_state("ENG-1") == "Done"
    assert not worktree.exists()  # cleaned
    assert "still working out whether it merges cleanly" in agenttui("log", run_id).stdout


@pytest.mark.parametrize("way", ["merge", "rebase"])
def test_a_conflict_with_the_base_is_a_fix_round(loop: Loop, way: str) -> None:
    _, github, project, tmp_path = loop[:4]
    merging_on()
    run_id = start(workflow(tmp_path, conflicts=way), project)
    number, branch, first_head = opened_on(github, project)
    watching(run_id, number)  # the resolve step already ran: only a fix round can merge main
    # Someone lands a change to the same file on main: the PR conflicts.
    main_head = land_on_main(project, "DEMO_CHANGES.md", "- a different change on main\n")

    new_head = wait_for_push(project, branch, first_head)
    assert run_git(project.remote, "merge-base", "--is-ancestor", main_head, new_head) == ""
    if way == "rebase":  # rewritten on top of main: one parent each, first_head gone
        parents = run_git(project.remote, "rev-list", "--parents", "-n", "1", new_head).split()
        assert len(parents) == 2
    approve_and_pass(github, number)
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    assert github.pulls[0]["merged"]
    log = agenttui("log", run_id).stdout
    assert f"#{number} conflicts with main" in log and "a fix round starts (conflict)" in log


def test_no_merge_while_a_gate_is_missing(loop: Loop) -> None:
    linear_server, github, project, tmp_path = loop[:4]
    merging_on()
    run_id = start(workflow(tmp_path, qa="exit 1"), project)  # QA does not pass
    number = opened(github)
    approve_and_pass(github, number)
    summary = wait_for_end(run_id)
    assert summary["status"] == "failed"
    assert "not merged: ✗ step qa passed" in summary["error"]
    assert github.pulls[0]["state"] == "open" and not github.pulls[0].get("merged")
    assert linear_server.workspace.issue_state("ENG-1") != "Done"
    log = agenttui("log", run_id).stdout
    assert "✓ approved" in log and "✓ checks green" in log and "✗ step qa passed" in log


def killed_after_a_review(loop: Loop, monkeypatch: pytest.MonkeyPatch) -> tuple[str, int, str, str]:
    """A run (merging on) whose runner was SIGKILLed once it read a review asking for
    changes, before it recorded the round: the run, its PR's number, branch and head."""
    _, github, project, tmp_path = loop[:4]
    merging_on()
    monkeypatch.setenv(STOP_AT, "pr-feedback-found")
    run_id = start(workflow(tmp_path), project)
    number, branch, head = opened_on(github, project)
    github.feedback.review(number, "CHANGES_REQUESTED", "Please fix the typo.")
    kill_at("pr-feedback-found", run_id, monkeypatch)
    return run_id, number, branch, head


def test_killed_at_any_point_nothing_is_lost_or_done_twice(
    loop: Loop, monkeypatch: pytest.MonkeyPatch
) -> None:
    linear_server, github, project, _ = loop[:4]
    # Killed after the review was read, before the round was recorded: the resumed
    # runner starts that round once.
    run_id, number, branch, first_head = killed_after_a_review(loop, monkeypatch)
    monkeypatch.setenv(STOP_AT, "pr-feedback-pushed,merge-done")
    agenttui("resume", run_id)
    # Killed right after the fix round's push: the resumed runner pushes nothing again.
    kill_at("pr-feedback-pushed", run_id, monkeypatch)
    new_head = remote_head(project, branch)
    monkeypatch.setenv(STOP_AT, "merge-before")
    agenttui("resume", run_id)
    approve_and_pass(github, number)
    # Killed with every gate read as holding, just before asking GitHub to merge: the
    # resumed runner reads the gates again and merges once.
    kill_at("merge-before", run_id, monkeypatch)
    assert not github.pulls[0].get("merged")
    monkeypatch.setenv(STOP_AT, "merge-done")
    agenttui("resume", run_id)
    # Killed after GitHub merged, before the run knew: the resumed runner does not merge
    # again (GitHub would refuse: 405) and still moves the issue and cleans up once.
    kill_at("merge-done", run_id, monkeypatch)
    assert github.pulls[0]["merged"]
    agenttui("resume", run_id)
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    worktree = Path(summary["worktree"])
    deliveries = RunStore().deliveries(run_id)
    assert [d.step_id for d in deliveries] == ["implement", "implement"]  # one fix round
    assert github.pulls[0]["merge_commit_sha"] == remote_head(project, "main")
    merges = [r for r in github.requests if r["method"] == "PUT"]
    assert len(merges) == 1
    gates_read = [e for e in RunStore().events(run_id) if "every gate holds" in e["message"]]
    assert len(gates_read) == 2  # read again by the runner resumed before the merge
    assert new_head != first_head and not worktree.exists()
    assert remote_head(project, "main") != new_head  # squashed: main holds one new commit
    pushes = [e for e in RunStore().events(run_id) if e["message"].startswith("pushed ")]
    assert len(pushes) == 2  # the pull request's first push, the fix round's push
    assert linear_server.workspace.issue_state("ENG-1") == "Done"
    moves = [
        e for e in RunStore().events(run_id) if e["kind"] == "linear" and e["step_id"] == "merge"
    ]
    assert len(moves) == 1


def test_a_fix_round_waits_while_a_person_types_in_the_agent(loop: Loop) -> None:
    _, github, project, tmp_path = loop[:4]
    run_id = start(workflow(tmp_path), project)
    number, branch, first_head = opened_on(github, project)
    pane = RunStore().get(run_id).context["pane_main"]
    loop.tmux.cmd("send-keys", "-t", pane, "-l", "half a sentence of my own")
    github.feedback.review(number, "CHANGES_REQUESTED", "Please fix the typo.")

    def told() -> bool:
        return "holds text agenttui did not send" in agenttui("log", run_id).stdout

    wait_until(told, timeout=60, interval=0.3, message="the run to say it waits for the person")
    assert "a person typing" in str(run_summary(run_id)["attention"])
    time.sleep(2)  # several polls: still no fix round, nothing typed over the person's text
    assert [d.step_id for d in RunStore().deliveries(run_id)] == ["implement"]
    assert "half a sentence of my own" in loop.tmux.cmd("capture-pane", "-p", "-t", pane)

    loop.tmux.cmd("send-keys", "-t", pane, "C-u")  # the person clears the box: the round starts
    wait_for_push(project, branch, first_head)
    assert [d.step_id for d in RunStore().deliveries(run_id)] == ["implement", "implement"]
    prompts = prompts_received(Path(run_summary(run_id)["worktree"]))
    assert "Please fix the typo." in prompts[1] and "half a sentence" not in "".join(prompts)
    assert "a person typing" not in str(run_summary(run_id)["attention"])
    approve_and_pass(github, number)
    assert wait_for_end(run_id)["status"] == "succeeded"


def test_a_pr_merged_by_hand_while_the_runner_was_down_is_not_revived(
    loop: Loop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone merges the PR (and deletes its branch) while the run is down: the resumed run
    pushes nothing (the branch stays gone), starts no fix round, merges nothing, and still
    moves the issue to Done."""
    from workflows.forge.pull_feedback import PullRequestApi

    linear_server, github, project, _ = loop[:4]
    run_id, number, branch, _ = killed_after_a_review(loop, monkeypatch)
    api = PullRequestApi("acme/widgets", number)
    api.merge(method="merge", sha=api.snapshot().head_sha, title="merged by a person")
    assert api.delete_branch(branch)

    agenttui("resume", run_id)
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    assert run_git(project.remote, "branch", "--list", branch) == ""
    events = RunStore().events(run_id)
    pushed = [e["step_id"] for e in events if e["message"].startswith("pushed ")]
    assert pushed == ["pr"]  # the branch was never pushed back (nor deleted a second time)
    assert not any(e["message"].startswith("deleted branch") for e in events)
    assert [d.step_id for d in RunStore().deliveries(run_id)] == ["implement"]  # no round
    assert len([r for r in github.requests if r["method"] == "PUT"]) == 1  # the person's
    log = agenttui("log", run_id).stdout
    assert f"pull request #{number} was merged" in log and "is already merged" in log
    assert linear_server.workspace.issue_state("ENG-1") == "Done"
