"""The real Gemini CLI (npm) in tmux, offline against a scripted Gemini API server.

idle → send → working → awaiting_approval (command in the detail) → approve → the command
really ran → idle; deny; the folder-trust dialog answered; exit with its status. Gemini runs
inside ``unshare -n`` with ``GOOGLE_GEMINI_BASE_URL`` pointing at the scripted server.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.e2e.harness import AgentPane
from tests.e2e.model_server import GeminiServer, Reply
from tests.support.waiting import wait_until
from workflows.base.errors import AgentTuiError
from workflows.tmux.driver import TmuxDriver

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def test_gemini_approve_deny_and_exit(
    driver: TmuxDriver, gemini_server: GeminiServer, tmp_path: Path
) -> None:
    hold = threading.Event()
    gemini_server.script(
        Reply.streaming("Thinking it over, marker-k7", hold),
        Reply.tool("run_shell_command", {"command": "touch approved-q3.txt"}),
        Reply.text("All done, marker-z9."),
        Reply.tool("run_shell_command", {"command": "touch denied-w4.txt"}),
    )
    agent = AgentPane.gemini(driver, gemini_server, tmp_path, name="g1")
    try:
        agent.wait_state("idle")
        assert agent.send("first prompt p-1").submitted
        agent.wait_screen("marker-k7")
        assert agent.wait_state("working").state == "working"
        hold.set()
        agent.wait_state("idle")

        assert agent.send("please run it p-2").submitted
        reading = agent.wait_state("awaiting_approval")
        assert reading.detail["command"] == "touch approved-q3.txt"
        assert reading.detail["tool"] == "Shell"
        agent.act("approve")
        wait_until((agent.project / "approved-q3.txt").exists, timeout=30)
        agent.wait_screen("marker-z9")
        agent.wait_state("idle")

        assert agent.send("try the other one d-1").submitted
        assert agent.wait_state("awaiting_approval").detail["command"] == "touch denied-w4.txt"
        agent.act("deny")
        agent.wait_state("idle")
        assert not (agent.project / "denied-w4.txt").exists()
        with pytest.raises(AgentTuiError, match="not awaiting approval"):
            agent.act("approve")
    finally:
        hold.set()
    agent.send("/quit")
    assert agent.wait_state("exited").detail == {"status": 0, "signal": None}
    assert gemini_server.prompts() == [
        "first prompt p-1",
        "please run it p-2",
        "try the other one d-1",
    ]
