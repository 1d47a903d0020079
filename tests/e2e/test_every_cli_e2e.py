"""What every real agent CLI (Claude Code, Codex, Gemini CLI) must do, one test per behaviour
run against each, offline against its scripted model server.

- A new folder's trust dialog is answered by the start-up; the agent then takes a prompt.
- A failed send leaves nothing in the input box: a failure past the paste (forced here: a
  profile that does not know the agent's paste placeholder, so the text never "shows") takes
  the typed text out again with the profile's clear keys, and the next prompt reaches the
  model alone, not appended to it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.e2e.harness import AgentPane
from tests.e2e.model_server import Reply
from workflows.agents.delivery import SendFailed, send_text
from workflows.agents.hooks import events_for_agent
from workflows.agents.startup import wait_until_ready
from workflows.base.store import Store
from workflows.tmux.driver import TmuxDriver

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


class Cli(NamedTuple):
    name: str
    server: Any  # the CLI's scripted model server (tests/e2e/conftest.py)
    start: Callable[..., AgentPane]


SERVERS = {"claude": "anthropic", "codex": "openai", "gemini": "gemini_server"}
STARTS = {"claude": AgentPane.claude, "codex": AgentPane.codex, "gemini": AgentPane.gemini}


@pytest.fixture(params=sorted(SERVERS))
def cli(request: pytest.FixtureRequest) -> Cli:
    name = request.param
    return Cli(name, request.getfixturevalue(SERVERS[name]), STARTS[name])


def test_a_new_folders_trust_dialog_is_answered(
    cli: Cli, driver: TmuxDriver, tmp_path: Path
) -> None:
    cli.server.script(Reply.text("Trusted and answering, marker-t1."))
    agent = cli.start(driver, cli.server, tmp_path, name=f"{cli.name}-t", trusted=False)
    assert agent.wait_state("trust").state == "trust"
    reading = wait_until_ready(driver, agent.refresh(), profile=agent.profile, timeout=60)
    assert reading.state == "idle"
    assert events_for_agent(Store(), f"{cli.name}-t", kind="trust_answered")
    assert agent.send("hello after trust").submitted
    agent.wait_screen("marker-t1")
    assert cli.server.prompts() == ["hello after trust"]


# Long and multi-line: every CLI shows a placeholder for it instead of the text.
FAILED_PROMPT = "".join(f"line {n} of a prompt that will be cleared f-7\n" for n in range(40))


def test_a_failed_send_is_cleared_and_the_next_prompt_goes_alone(
    cli: Cli, driver: TmuxDriver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli.server.script(Reply.text("Got it, marker-c2."))
    agent = cli.start(driver, cli.server, tmp_path, name=f"{cli.name}-k")
    agent.wait_state("idle")
    blind = dataclasses.replace(agent.profile, paste_placeholder=None)
    monkeypatch.setattr("workflows.agents.delivery.VISIBLE_GRACE_S", 2.0)
    with pytest.raises(SendFailed, match="never became visible") as failure:
        send_text(agent.driver, agent.refresh(), FAILED_PROMPT, timeout=2.0, profile=blind)
    assert failure.value.cleared is True, failure.value.steps
    assert "input box cleared" in str(failure.value)
    monkeypatch.undo()
    result = agent.send("the next prompt n-2")
    assert result.submitted and result.attempts == 1
    agent.wait_screen("marker-c2")
    assert cli.server.prompts() == ["the next prompt n-2"]
