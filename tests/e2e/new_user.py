"""A new user's start, shared by the e2e tests: agenttui's defaults under a fresh HOME,
only the config a gateway needs, a one-step run of the real Claude."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import tomli_w

from tests.e2e.agents import JAIL_PORT_CLAUDE, claude_on_path, prepare_claude_home
from tests.e2e.model_server import AnthropicServer, Reply
from tests.support.cli import agenttui
from tests.support.git_repos import git_repo


def gateway_config(
    config: Path, server: AnthropicServer, agent_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only what a gateway needs, the way the README says: ``[agents.claude]`` with the key
    passed through from the environment (never in the file), and a HOME of the agent's own."""
    env = server.claude_env(JAIL_PORT_CLAUDE)
    monkeypatch.setenv("ANTHROPIC_API_KEY", env.pop("ANTHROPIC_API_KEY"))
    env["HOME"] = str(agent_home)
    (config / "config.toml").write_text(
        tomli_w.dumps({"agents": {"claude": {"env": env, "env_from": ["ANTHROPIC_API_KEY"]}}})
    )


ONE_STEP = """
name = "one-step"
agent = "claude"

[[steps]]
id = "refine"
prompt = "Refine {issue_ids}."
output = ".agenttui/refine.md"
"""


def one_step_run(
    home: Path,
    anthropic: AnthropicServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    config_extra: str = "",
) -> tuple[str, Path, Path]:
    """A new user's one-step run of the real Claude in a worktree it never saw (branch
    ``agent-work`` at ``tmp_path/worktree``), the model scripted to write the step's file and
    answer "Written, marker-r1.": the run id, the repo and the agent's HOME."""
    claude_on_path(tmp_path / "bin", anthropic, monkeypatch)
    repo = git_repo(tmp_path / "app")
    worktree = tmp_path / "worktree"  # the run reuses a checkout of its branch: a known path
    subprocess.run(["git", "-C", str(repo), "worktree", "add", "-q", "-b", "agent-work",
                    str(worktree)], check=True)  # fmt: skip
    agent_home = tmp_path / "agent-home"
    prepare_claude_home(agent_home, tmp_path / "some-other-project", anthropic.api_key)
    config = home / ".config" / "agenttui"
    config.mkdir(parents=True)
    (config / "policy.toml").write_text('allow = ["Edit"]\n')
    gateway_config(config, anthropic, agent_home, monkeypatch)
    with (config / "config.toml").open("a") as handle:
        handle.write(config_extra)
    notes = worktree / ".agenttui" / "refine.md"
    anthropic.script(
        Reply.tool("Write", {"file_path": str(notes), "content": "Refined.\n"}),
        Reply.text("Written, marker-r1."),
    )
    definition = tmp_path / "one-step.toml"
    definition.write_text(ONE_STEP)
    started = agenttui("run", str(definition), "--issues", "PCL-101", "--repo", str(repo),
                       "--branch", "agent-work", "--json")  # fmt: skip
    return json.loads(started.stdout)["run"], repo, agent_home
