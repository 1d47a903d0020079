"""QA passes, then a review round pushes new code: the merge does not take QA's pass on the
older commit. The run goes back to the slot step, deploys the new head, asks QA again, and
merges only what QA saw. Real tmux, the demo agent, a real repository with a bare remote, the
offline forge and the local Linear server (QA answers there)."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import agenttui
from tests.support.environment import write_config
from tests.support.git_repos import run_git
from tests.support.runs import PullRequestWorld, prompts_received, run_summary, wait_for_end
from tests.support.slots import IMPLEMENT_PR_QA, QA_LINK, QaStandIn, deploys, slot_config
from tests.support.waiting import wait_until

WORKFLOW = (
    IMPLEMENT_PR_QA
    + """
[[steps]]
id = "feedback"
kind = "pr_feedback"
on_fail = "implement"
max_rounds = 3
poll = 0.3

[[steps]]
id = "merge"
kind = "merge"
method = "squash"
requires = ["qa"]
"""
)


def test_a_review_round_after_qa_passed_is_deployed_and_asked_again_before_the_merge(
    pr_world: PullRequestWorld,
) -> None:
    tmp_path, linear_server, github, project = pr_world
    deploy_log = tmp_path / "deploys.log"
    write_config(slot_config(deploy_log) + "\n[merge]\nenabled = true\n")
    qa = QaStandIn(linear_server, lambda key, before: "QA pass").start()
    try:
        run_id = pr_world.start(WORKFLOW)

        def watching() -> bool:
            return "waiting for" in agenttui("log", run_id).stdout and bool(github.pulls)

        wait_until(watching, timeout=180, interval=0.3, message="QA passed, the PR watched")
        number, branch = int(github.pulls[0]["number"]), str(github.pulls[0]["head"]["ref"])
        qa_commit = run_git(project.remote, "rev-parse", branch)
        assert [row[2] for row in deploys(deploy_log)] == [qa_commit]

        github.feedback.review(number, "CHANGES_REQUESTED", "Rename the helper.")

        def pushed() -> str | None:
            head = run_git(project.remote, "rev-parse", branch)
            return head if head != qa_commit else None

        fixed = wait_until(pushed, timeout=120, interval=0.3, message="the fix round's push")
        prompts = prompts_received(Path(run_summary(run_id)["worktree"]))
        assert len(prompts) == 2 and "Rename the helper." in prompts[1]
        github.feedback.review(number, "APPROVED", "Looks good.")
        github.feedback.check(number, "ci", "success", sha=fixed)
        summary = wait_for_end(run_id)
    finally:
        qa.stop()
    log = agenttui("log", run_id).stdout
    assert summary["status"] == "succeeded", log
    # The fix was deployed and QA asked again on it, before the merge.
    assert [(row[0], row[1], row[2]) for row in deploys(deploy_log)] == [
        (run_id, branch, qa_commit),
        (run_id, branch, fixed),
    ]
    links = [body for body in linear_server.workspace.comments_on("ENG-1") if QA_LINK in body]
    assert len(links) == 2 and qa_commit in links[0] and fixed in links[1]
    assert f"qa passed on {qa_commit[:10]}; pull request #{number}'s head is now" in log
    assert "back to 'qa'" in log
    # What was merged is what QA passed the second time.
    pull = github.pulls[0]
    assert pull["merged"] and pull["merge_method"] == "squash"
    merged_tree = run_git(project.remote, "rev-parse", "main^{tree}")
    assert merged_tree == run_git(project.remote, "rev-parse", f"{fixed}^{{tree}}")
