"""The real Claude Code and Codex at a usage limit (the scripted model APIs refuse a turn with
429 as their vendors do): the run pauses, shows why, and after the reset (Codex prints its
time) or the back-off (Claude's gateway message names only a day) the agent gets one continue
prompt and the step finishes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e import api_errors
from tests.e2e.agents import jailed_claude_profile, jailed_codex_profile
from tests.e2e.model_server import AnthropicServer, OpenAIServer, Reply, write
from tests.support.cli import agenttui
from tests.support.environment import write_config
from tests.support.git_repos import Project, issue_worktree
from tests.support.linear_server import LinearServer
from tests.support.runs import start_run, wait_for_end
from workflows.runs.run_store import RunStore
from workflows.runs.steps.usage_limit import CONTINUE

pytestmark = pytest.mark.e2e

ONE_STEP = """
name = "one-step"
agent = "{agent}"

[[steps]]
id = "implement"
prompt = "Implement the change."
output = ".agenttui/implement.md"
"""


def _run(project: Project, linear_server: LinearServer, agent: str, worktree: Path) -> str:
    definition = worktree.parent / "one.toml"
    definition.write_text(ONE_STEP.replace("{agent}", agent))
    return start_run(
        str(definition), "--issues", "ENG-1", "--repo", str(project.repo), "--source", "linear"
    )


def _worktree(project: Project, linear_server: LinearServer) -> Path:
    return issue_worktree(project, linear_server.workspace.find_issue("ENG-1")["branchName"])


def _paused_events(run_id: str) -> list[str]:
    events = json.loads(agenttui("log", run_id, "--json").stdout)
    return [e["message"] for e in events if e["kind"] in ("paused", "resumed")]


@pytest.mark.usefixtures("tmux_server", "github")
def test_codex_at_its_usage_limit_pauses_the_run_until_the_time_it_prints(
    linear_server: LinearServer, project: Project, openai: OpenAIServer
) -> None:
    write_config("[usage_limits]\nmargin_s = 2\n")
    worktree = _worktree(project, linear_server)
    answer = worktree / ".agenttui" / "implement.md"
    openai.script(
        api_errors.codex_usage_limit(reset_s=20),
        Reply.exec(f"mkdir -p {answer.parent} && echo done > {answer}", escalated=False),
        Reply.text("Implemented."),
    )
    jailed_codex_profile(openai, project.repo.parent / "codex-home", worktree)
    run_id = _run(project, linear_server, "e2ecodex", worktree)
    summary = wait_for_end(run_id, timeout=240)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    paused, resumed = _paused_events(run_id)
    assert "hit its usage limit (You’ve hit your usage limit." in paused, paused
    assert "the limit resets " in paused  # the time Codex printed, not a back-off
    assert resumed.startswith("usage limit wait over")
    assert [d.kind for d in RunStore().deliveries(run_id)] == ["prompt", "continue"]
    assert sum(CONTINUE.strip() in prompt for prompt in openai.prompts()) == 1
    print(f"\n{paused}")


@pytest.mark.usefixtures("tmux_server", "github")
def test_claude_at_its_usage_limit_backs_off_then_continues(
    linear_server: LinearServer, project: Project, anthropic: AnthropicServer
) -> None:
    write_config("[usage_limits]\nbackoff_s = 3\nmargin_s = 1\n")
    worktree = _worktree(project, linear_server)
    anthropic.script(
        api_errors.claude_spend_limit(),
        write(worktree / ".agenttui" / "implement.md", "done\n"),
        Reply.text("Implemented."),
    )
    jailed_claude_profile(anthropic, project.repo.parent / "claude-home", worktree)
    run_id = _run(project, linear_server, "e2eclaude", worktree)
    summary = wait_for_end(run_id, timeout=240)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    paused, _resumed = _paused_events(run_id)
    assert "hit its usage limit (API Error: Request rejected (429)" in paused, paused
    assert "it showed 'Aug 8', not a time ahead; backing off 3s" in paused
    assert [d.kind for d in RunStore().deliveries(run_id)] == ["prompt", "continue"]
    assert sum(CONTINUE.strip() in prompt for prompt in anthropic.prompts()) == 1
    print(f"\n{paused}")
