"""Workflow runs driven by the real Claude Code and Codex CLIs (jailed, offline) against
scripted model servers: refine → implement → test → pull request → Linear, the whole feedback
workflow with a failed review, and Claude implementing while Codex reviews."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.agents import (
    CLAUDE_IMPLEMENTS_CODEX_REVIEWS,
    jailed_claude_profile,
    jailed_codex_profile,
)
from tests.e2e.model_server import AnthropicServer, OpenAIServer, Reply, refine_and_plan, write
from tests.support.cli import agenttui
from tests.support.git_repos import Project, run_git
from tests.support.github_server import GitHubServer
from tests.support.linear_server import LinearServer
from tests.support.runs import start_run, wait_for_end
from workflows.runs.run_store import RunStore

pytestmark = pytest.mark.e2e

WORKFLOW = """
name = "claude-e2e"
agent = "claude"

[[steps]]
id = "refine-1"
prompt_file = "prompts/refine-1.md"
output = ".agenttui/refine-1.md"

[[steps]]
id = "implement"
prompt_file = "prompts/implement.md"
output = ".agenttui/implement.md"

[[steps]]
id = "test"
run = "{test_command}"
on_fail = "implement"

[[steps]]
id = "pr"
kind = "pull_request"
title = "{group}"
body = "{steps.refine-1.output}"

[[steps]]
id = "report"
kind = "linear"
comment = "Pull request: {pr_url}"
link = "{pr_url}"
state = "In Review"
"""


@pytest.mark.usefixtures("tmux_server")
def test_real_claude_refines_implements_and_the_run_opens_a_pr(
    linear_server: LinearServer,
    github: GitHubServer,
    project: Project,
    anthropic: AnthropicServer,
    tmp_path: Path,
) -> None:
    # A clean worktree already on the issue's branch: the run reuses it, so the scripted
    # model knows the absolute paths it must write to.
    branch = linear_server.workspace.find_issue("ENG-1")["branchName"]
    worktree = tmp_path / "worktree"
    run_git(project.repo, "worktree", "add", "-q", "-b", branch, str(worktree), "main")
    notes = worktree / ".agenttui"
    anthropic.script(
        Reply.tool(
            "Write",
            {
                "file_path": str(notes / "refine-1.md"),
                "content": "Refined: gift cards break checkout.\n",
            },
        ),
        Reply.text("Refinement written."),
        Reply.tool("Write", {"file_path": str(worktree / "feature.txt"), "content": "fix\n"}),
        Reply.tool(
            "Write", {"file_path": str(notes / "implement.md"), "content": "Added feature.txt\n"}
        ),
        Reply.text("Implemented."),
    )
    agent = jailed_claude_profile(anthropic, tmp_path / "claude-home", worktree)
    definition = tmp_path / "claude-e2e.toml"
    definition.write_text(WORKFLOW)

    run_id = start_run(
        str(definition),
        "--issues",
        "ENG-1",
        "--repo",
        str(project.repo),
        "--source",
        "linear",
        "--agent",
        agent,
        "--github-repo",
        "acme/widgets",
        "--test-command",
        "test -f feature.txt",
    )
    summary = wait_for_end(run_id, timeout=240)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    assert summary["worktree"] == str(worktree)

    # Each step's prompt reached the model exactly once.
    prompts = anthropic.prompts()
    assert sum("First refinement" in p for p in prompts) == 1, prompts
    assert sum("Implement the plan now" in p for p in prompts) == 1, prompts
    assert len(RunStore().deliveries(run_id)) == 2

    (pull,) = github.pulls
    assert pull["head"]["ref"] == branch and "gift cards" in pull["body"]
    assert run_git(project.remote, "show", f"{branch}:feature.txt") == "fix"
    workspace = linear_server.workspace
    assert any(pull["html_url"] in body for body in workspace.comments_on("ENG-1"))
    assert workspace.issue_state("ENG-1") == "In Review"


@pytest.mark.usefixtures("tmux_server")
def test_real_claude_runs_the_whole_feedback_workflow_with_a_failed_review(
    linear_server: LinearServer,
    github: GitHubServer,
    project: Project,
    anthropic: AnthropicServer,
    tmp_path: Path,
) -> None:
    branch = linear_server.workspace.find_issue("ENG-2")["branchName"]
    worktree = tmp_path / "worktree"
    run_git(project.repo, "worktree", "add", "-q", "-b", branch, str(worktree), "main")
    notes = worktree / ".agenttui"
    anthropic.script(
        *refine_and_plan(notes),
        write(worktree / "feature.txt", "fix\n"),
        write(notes / "implement.md", "Fixed.\n"), Reply.text("ok"),
        write(notes / "review.md", "No test for the fix.\nVERDICT: FAIL\n"), Reply.text("ok"),
        write(worktree / "feature_test.txt", "test\n"),
        write(notes / "implement.md", "Added the test.\n"), Reply.text("ok"),
        write(notes / "review.md", "Looks right.\nVERDICT: PASS\n"), Reply.text("ok"),
    )  # fmt: skip
    agent = jailed_claude_profile(anthropic, tmp_path / "claude-home", worktree)
    run_id = start_run(
        "feedback",
        "--issues",
        "ENG-2",
        "--repo",
        str(project.repo),
        "--source",
        "linear",
        "--agent",
        agent,
        "--github-repo",
        "acme/widgets",
        "--test-command",
        "test -f feature.txt && test -f feature_test.txt",
    )
    summary = wait_for_end(run_id, timeout=280)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout

    prompts = anthropic.prompts()
    for marker, times in (
        ("First refinement", 1),
        ("Second refinement", 1),
        ("Third refinement", 1),
        ("Now plan the change", 1),
        ("Implement the plan now", 1),
        ("You are reviewing a change", 2),
        ("The change is not done yet (round 1)", 1),
    ):
        assert sum(marker in p for p in prompts) == times, (marker, prompts)
    assert any("No test for the fix." in p for p in prompts)  # the review went back
    deliveries = RunStore().deliveries(run_id)
    assert len(deliveries) == 8
    assert {d.agent_name for d in deliveries} == {f"{run_id}-main", f"{run_id}-reviewer"}

    (pull,) = github.pulls
    assert "Refresh the gift card balance." in pull["body"] and "VERDICT: PASS" in pull["body"]
    files = run_git(project.remote, "diff", "--name-only", f"main...{branch}").split()
    assert sorted(files) == ["feature.txt", "feature_test.txt"]
    workspace = linear_server.workspace
    assert [a["url"] for a in workspace.attachments_on("ENG-2")] == [pull["html_url"]]
    assert workspace.issue_state("ENG-2") == "In Review"


@pytest.mark.usefixtures("tmux_server")
def test_claude_implements_and_codex_reviews_in_one_run(
    linear_server: LinearServer,
    github: GitHubServer,
    project: Project,
    anthropic: AnthropicServer,
    openai: OpenAIServer,
) -> None:
    tmp_path = project.repo.parent
    branch = linear_server.workspace.find_issue("ENG-3")["branchName"]
    worktree = tmp_path / "worktree"
    run_git(project.repo, "worktree", "add", "-q", "-b", branch, str(worktree), "main")
    review = worktree / ".agenttui" / "review.md"
    anthropic.script(
        write(worktree / "feature.txt", "fix\n"),
        write(worktree / ".agenttui" / "implement.md", "Added feature.txt\n"),
        Reply.text("Implemented."),
    )
    openai.script(
        Reply.exec(f"printf 'Reviewed by codex.\\nVERDICT: PASS\\n' > {review}", escalated=False),
        Reply.text("Review written."),
    )
    jailed_claude_profile(anthropic, tmp_path / "claude-home", worktree)
    jailed_codex_profile(openai, tmp_path / "codex-home", worktree)
    definition = tmp_path / "mixed.toml"
    definition.write_text(CLAUDE_IMPLEMENTS_CODEX_REVIEWS)
    run_id = start_run(
        str(definition),
        "--issues",
        "ENG-3",
        "--repo",
        str(project.repo),
        "--source",
        "linear",
        "--github-repo",
        "acme/widgets",
    )
    summary = wait_for_end(run_id, timeout=240)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    assert sum("Fix the following issue" in p for p in anthropic.prompts()) == 1
    assert sum("You are reviewing a change" in p for p in openai.prompts()) == 1
    (pull,) = github.pulls
    assert "Reviewed by codex." in pull["body"]
