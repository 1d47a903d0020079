"""The base branch's protection decides the merge too: what it requires (two approving
reviews and a check, here) is only known to GitHub, which shows the pull request as
``mergeable_state: "blocked"`` until it is met. The run waits for it, saying so, instead of
merging into GitHub's refusal. Real tmux, the demo agent, a real repository with a bare
remote, the offline forge (protection as GitHub applies it) and the local Linear server."""

from __future__ import annotations

import pytest

from tests.support.cli import agenttui
from tests.support.environment import write_config
from tests.support.git_repos import land_on_main, run_git
from tests.support.runs import PullRequestWorld, run_summary, wait_for_end
from tests.support.waiting import wait_until
from workflows.forge.offline_feedback import Protection

WORKFLOW = """
name = "protected"
agent = "demo"
steps = [
    { id = "implement", prompt = "Implement the change for {issue_ids}." },
    { id = "pr", kind = "pull_request" },
    { id = "feedback", kind = "pr_feedback", on_fail = "implement", poll = 0.3 },
    { id = "merge", kind = "merge" },
]
"""


def test_a_merge_waits_for_what_the_branch_protection_requires(pr_world: PullRequestWorld) -> None:
    github, project = pr_world.github, pr_world.project
    write_config("[merge]\nenabled = true\n")
    github.feedback.protection = Protection(approvals=2, checks=("ci",))
    run_id = pr_world.start(WORKFLOW)
    wait_until(lambda: github.pulls, timeout=120, interval=0.2, message="the pull request")
    number = int(github.pulls[0]["number"])
    github.feedback.review(number, "APPROVED", "Looks good.", user="ana")
    github.feedback.check(number, "ci", "success")

    def waiting() -> bool:
        return "protection requires" in agenttui("log", run_id).stdout

    wait_until(waiting, timeout=60, interval=0.3, message="the run waiting for the protection")
    assert not github.pulls[0].get("merged")  # not merged into GitHub's refusal
    assert run_summary(run_id)["status"] == "running"

    github.feedback.review(number, "APPROVED", "Fine by me.", user="bo")  # the second one
    summary = wait_for_end(run_id)
    log = agenttui("log", run_id).stdout
    assert summary["status"] == "succeeded", log
    assert github.pulls[0]["merged"]
    assert "✓ branch protection allows it" in log
    assert run_git(project.remote, "rev-parse", "main") == github.pulls[0]["merge_commit_sha"]


@pytest.mark.parametrize("way", ["merge", "rebase"])
def test_a_branch_behind_its_base_is_brought_up_to_date_when_the_protection_wants_it(
    pr_world: PullRequestWorld, way: str
) -> None:
    github, project = pr_world.github, pr_world.project
    write_config("[merge]\nenabled = true\n")
    github.feedback.protection = Protection(checks=("ci",), strict=True)
    feedback = '"pr_feedback", on_fail = "implement",'
    run_id = pr_world.start(WORKFLOW.replace(feedback, f'{feedback} conflicts = "{way}",'))
    wait_until(lambda: github.pulls, timeout=120, interval=0.2, message="the pull request")
    number, branch = int(github.pulls[0]["number"]), str(github.pulls[0]["head"]["ref"])
    first_head = run_git(project.remote, "rev-parse", branch)
    # Someone lands another change on main: the PR still merges cleanly, but is behind.
    main_head = land_on_main(project, "OTHER.md", "another change on main\n")
    github.feedback.review(number, "APPROVED", "Looks good.")
    github.feedback.check(number, "ci", "success")

    def updated() -> str | None:
        head = run_git(project.remote, "rev-parse", branch)
        return head if head != first_head else None

    new_head = wait_until(
        updated, timeout=60, interval=0.3, message="the branch brought up to date"
    )
    assert run_git(project.remote, "merge-base", "--is-ancestor", main_head, new_head) == ""
    parents = run_git(project.remote, "rev-list", "--parents", "-n", "1", new_head).split()
    assert len(parents) == (3 if way == "merge" else 2)  # a merge commit, or rebased on main
    assert not github.pulls[0].get("merged")  # the new head's checks come first
    github.feedback.check(number, "ci", "success", sha=new_head)
    summary = wait_for_end(run_id)
    log = agenttui("log", run_id).stdout
    assert summary["status"] == "succeeded", log
    assert f"pull request #{number} was behind main" in log
    assert ("rebased onto origin/main" in log) == (way == "rebase")
    assert github.pulls[0]["merged"]
    merged = run_git(project.remote, "ls-tree", "--name-only", "main")
    assert "OTHER.md" in merged and "DEMO_CHANGES.md" in merged
