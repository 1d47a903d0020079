"""A first prompt given on the agent's command line (Claude Code and Codex take it as argv) is
text, whatever it starts with: a prompt such as ``--version`` or
``--dangerously-skip-permissions`` must reach the model, never act as one of the CLI's options
(before the fix ``claude … --version`` printed its version and exited)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.agents import jailed_claude_profile, jailed_codex_profile
from tests.e2e.model_server import AnthropicServer, OpenAIServer, Reply
from tests.support.cli import agenttui
from tests.support.git_repos import git_repo
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

OPTION_LIKE = "--version"


@pytest.mark.usefixtures("tmux_server")
@pytest.mark.parametrize("agent", ["claude", "codex"])
def test_a_prompt_that_looks_like_an_option_reaches_the_model(
    agent: str, anthropic: AnthropicServer, openai: OpenAIServer, tmp_path: Path
) -> None:
    repo = git_repo(tmp_path / "app")
    server: AnthropicServer | OpenAIServer = anthropic if agent == "claude" else openai
    server.script(Reply.text("Taken as text, marker-v7."))
    jail = jailed_claude_profile if agent == "claude" else jailed_codex_profile
    profile = jail(server, tmp_path / f"{agent}-home", repo)  # type: ignore[arg-type]
    spawned = agenttui("spawn", "--agent", profile, "--name", "v7", "--cwd", str(repo),
                       f"--prompt={OPTION_LIKE}", "--json", timeout=120)  # fmt: skip
    assert json.loads(spawned.stdout)["state"] in ("idle", "working"), spawned.stdout
    wait_until(lambda: OPTION_LIKE in server.prompts(), timeout=90, message="the prompt as text")
    wait_until(
        lambda: "marker-v7" in agenttui("read", "v7", "--json").stdout,
        timeout=60,
        message="the model's answer on screen",
    )
    read = json.loads(agenttui("read", "v7", "--json").stdout)
    assert not read["dead"], read
