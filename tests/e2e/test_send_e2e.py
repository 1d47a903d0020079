"""Verified send against the real CLIs: a failed send leaves nothing in the input box.

A failure past the paste (here forced: a profile that does not know the agent's paste
placeholder, so the text never "shows") must take the typed text out again with the
profile's clear keys; the next prompt then reaches the model alone, not appended to it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.e2e.harness import AgentPane
from tests.e2e.model_server import AnthropicServer, GeminiServer, OpenAIServer, Reply
from workflows.agents.delivery import SendFailed, send_text
from workflows.agents.startup import wait_until_ready
from workflows.tmux.driver import TmuxDriver

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

# Long and multi-line: both CLIs show a placeholder for it instead of the text.
FAILED_PROMPT = "".join(f"line {n} of a prompt that will be cleared f-7\n" for n in range(40))


def fail_then_send(agent: AgentPane, monkeypatch: pytest.MonkeyPatch) -> None:
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


def test_claude_failed_send_is_cleared(
    driver: TmuxDriver, anthropic: AnthropicServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    anthropic.script(Reply.text("Got it, marker-c2."))
    agent = AgentPane.claude(driver, anthropic, tmp_path, name="k1")
    fail_then_send(agent, monkeypatch)
    agent.wait_screen("marker-c2")
    assert anthropic.prompts() == ["the next prompt n-2"]


def test_codex_failed_send_is_cleared(
    driver: TmuxDriver, openai: OpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    openai.script(Reply.text("Got it, marker-x2."))
    agent = AgentPane.codex(driver, openai, tmp_path, name="k2")
    fail_then_send(agent, monkeypatch)
    agent.wait_screen("marker-x2")
    assert openai.prompts() == ["the next prompt n-2"]


def test_gemini_failed_send_is_cleared(
    driver: TmuxDriver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with GeminiServer() as gemini:
        gemini.script(Reply.text("Got it, marker-g2."))
        agent = AgentPane.gemini(driver, gemini, tmp_path, name="k3")
        fail_then_send(agent, monkeypatch)
        agent.wait_screen("marker-g2")
        assert gemini.prompts() == ["the next prompt n-2"]


def test_codex_takes_keys_the_moment_it_reads_ready(
    driver: TmuxDriver, openai: OpenAIServer, tmp_path: Path
) -> None:
    """Launch readiness means input lands: a shift+tab sent right after wait_until_ready switches
    Codex to Plan mode (it was lost on every launch when the folder header alone meant idle),
    and a prompt sent right after reaches the model once. Three launches."""
    for n in range(3):
        openai.script(Reply.text(f"Planned, marker-p{n}."))
        agent = AgentPane.codex(driver, openai, tmp_path, name=f"r{n}")
        wait_until_ready(driver, agent.pane, profile=agent.profile, timeout=60)
        driver.send_keys(agent.pane.pane_id, "BTab")  # at once: no retry, no sleep
        agent.wait_screen("Plan mode", timeout=10)
        assert agent.send(f"right after start r-{n}").submitted
        agent.wait_screen(f"marker-p{n}")
        driver.kill(agent.pane.pane_id)
    assert openai.prompts() == [f"right after start r-{n}" for n in range(3)]
