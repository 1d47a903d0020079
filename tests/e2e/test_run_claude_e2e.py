"""A workflow run driven by the real Claude Code CLI (jailed, offline) against a scripted
model server: refine → implement → test → pull request → Linear, through the engine."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import tomli_w

from tests import run_fixtures
from tests.e2e.agents import claude_launch
from tests.e2e.model_server import AnthropicServer, Reply
from tests.git_repos import Project, run_git
from tests.github_server import GitHubServer
from tests.linear_server import LinearServer
from tests.run_fixtures import agenttui, start_run, wait_for_end
from workflows.agents.profiles import BUILTIN_DIR
from workflows.paths import config_dir
from workflows.runs import RunStore

github, project = run_fixtures.github, run_fixtures.project  # fixtures
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


def jailed_claude_profile(server: AnthropicServer, home: Path, worktree: Path) -> str:
    """The built-in claude profile, launched jailed and offline, edits accepted in its cwd."""
    argv, env = claude_launch(server, home, worktree)
    data = tomllib.loads((BUILTIN_DIR / "claude.toml").read_text())
    data.update(name="e2eclaude", command=[*argv, "--permission-mode", "acceptEdits"], env=env)
    (config_dir() / "profiles").mkdir(parents=True, exist_ok=True)
    (config_dir() / "profiles" / "e2eclaude.toml").write_text(tomli_w.dumps(data))
    return "e2eclaude"


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
