"""Verified send against the real Codex CLI: keys land the moment it reads ready.

(A failed send is cleared with every CLI: tests/e2e/test_every_cli_e2e.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import AgentPane
from tests.e2e.model_server import OpenAIServer, Reply
from workflows.agents.startup import wait_until_ready
from workflows.tmux.driver import TmuxDriver

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


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
