"""Issue text with terminal control bytes through the real Claude Code (issue 18 item 2):
one prompt reaches the model, its text visible and inert; no byte acted as a key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import AgentPane
from tests.e2e.model_server import AnthropicServer, Reply
from tests.support.hostile import INJECTION
from workflows.tmux.driver import TmuxDriver

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def test_claude_gets_a_hostile_issue_as_one_inert_prompt(
    driver: TmuxDriver, anthropic: AnthropicServer, tmp_path: Path
) -> None:
    anthropic.script(Reply.text("Read it, marker-u1."))
    agent = AgentPane.claude(driver, anthropic, tmp_path, name="u1")
    agent.wait_state("idle")
    result = agent.send("Issue ENG-9:\n" + INJECTION + "\nend of issue u-1")
    assert result.submitted and result.attempts == 1
    agent.wait_screen("marker-u1")
    (prompt,) = anthropic.prompts()  # one prompt: the paste was never ended early
    assert "␛[201~echo injected" in prompt and "still the issue text" in prompt
    assert "end of issue u-1" in prompt
    assert not any(ord(ch) < 0x20 and ch not in "\n\t" for ch in prompt)
    assert "Interrupted" not in "\n".join(driver.capture(agent.pane.pane_id))
