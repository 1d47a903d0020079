"""The runner killed (SIGKILL) at each point of a delivery to the real Claude Code: the
prompt reaches the model exactly once (counted at the scripted model server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.agents import jailed_claude_profile
from tests.e2e.model_server import AnthropicServer, Reply
from tests.support.cli import agenttui
from tests.support.git_repos import Project, run_git
from tests.support.linear_server import LinearServer
from tests.support.runs import start_and_kill_at, wait_for_end
from workflows.runs.run_store import RunStore

pytestmark = pytest.mark.e2e

REFINE_ONLY = """
name = "refine-only"

[[steps]]
id = "refine-1"
prompt_file = "prompts/refine-1.md"
output = ".agenttui/refine-1.md"
"""


@pytest.fixture
def claude_on_eng_1(
    linear_server: LinearServer, project: Project, anthropic: AnthropicServer, tmp_path: Path
) -> tuple[str, Path]:
    """A jailed Claude Code profile whose model writes the refinement once asked, and the
    one-step workflow to run it with."""
    branch = linear_server.workspace.find_issue("ENG-1")["branchName"]
    worktree = tmp_path / "worktree"
    run_git(project.repo, "worktree", "add", "-q", "-b", branch, str(worktree), "main")
    anthropic.script(
        Reply.tool(
            "Write",
            {"file_path": str(worktree / ".agenttui" / "refine-1.md"), "content": "Refined.\n"},
        ),
        Reply.text("Refinement written."),
    )
    definition = tmp_path / "refine-only.toml"
    definition.write_text(REFINE_ONLY)
    return jailed_claude_profile(anthropic, tmp_path / "claude-home", worktree), definition


@pytest.mark.parametrize(
    "point", ["delivery-recorded", "delivery-pasted-unmarked", "delivery-entered"]
)
@pytest.mark.usefixtures("tmux_server")
def test_real_claude_gets_the_prompt_once_whatever_instant_the_runner_dies(
    claude_on_eng_1: tuple[str, Path],
    project: Project,
    anthropic: AnthropicServer,
    monkeypatch: pytest.MonkeyPatch,
    point: str,
) -> None:
    agent, definition = claude_on_eng_1
    run_id = start_and_kill_at(point, definition, project, monkeypatch, "--agent", agent)
    agenttui("resume", run_id)
    summary = wait_for_end(run_id, timeout=240)
    log = agenttui("log", run_id).stdout
    assert summary["status"] == "succeeded", log
    assert sum("First refinement" in p for p in anthropic.prompts()) == 1, anthropic.prompts()
    assert [d.status for d in RunStore().deliveries(run_id)][-1] == "submitted"
    assert EXPECTED[point] in log


EXPECTED = {
    "delivery-recorded": "prompt was recorded but never reached",
    "delivery-pasted-unmarked": "prompt was typed into",
    "delivery-entered": "prompt was being sent to",
}
