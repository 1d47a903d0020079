"""The real Codex CLI (npm) in tmux, offline against a scripted OpenAI Responses server.

Same sequence as the Claude test: idle → send → working → awaiting_approval (command in the
detail) → approve → the command really ran outside the sandbox → idle; deny; interrupt while
a reply streams; exit with its status; its question UI (request_user_input) reads as asking.
Codex runs inside ``unshare -n``: its start-up fetch of an announcement file from the
internet cannot leave the machine.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.e2e.harness import AgentPane
from tests.e2e.model_server import OpenAIServer, Reply
from tests.e2e.record_screens import CODEX_ASK, CODEX_QUESTION_FEATURE
from tests.support.waiting import wait_until
from workflows.agents.hooks import events_for_agent
from workflows.base.errors import AgentTuiError
from workflows.base.store import Store
from workflows.tmux.driver import TmuxDriver

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def test_codex_approve_cycle(driver: TmuxDriver, openai: OpenAIServer, tmp_path: Path) -> None:
    hold = threading.Event()
    openai.script(
        Reply.streaming("Thinking it over, marker-k7", hold),
        Reply.exec("touch approved-q3.txt"),
        Reply.text("All done, marker-z9."),
    )
    agent = AgentPane.codex(driver, openai, tmp_path, name="x1")
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
        assert not (agent.project / "approved-q3.txt").exists()
        result = agent.act("approve")
        assert result.keys == ["y"]
        wait_until((agent.project / "approved-q3.txt").exists, timeout=30)
        agent.wait_screen("marker-z9")
        agent.wait_state("idle")
        with pytest.raises(AgentTuiError, match="not awaiting approval"):
            agent.act("approve")
    finally:
        hold.set()
    # notify reports finished turns as stop events (the title request may add one more).
    wait_until(lambda: len(events_for_agent(Store(), "x1", kind="stop")) >= 2, timeout=30)
    assert openai.prompts() == ["first prompt p-1", "please run it p-2"]


def test_codex_deny_interrupt_and_exit(
    driver: TmuxDriver, openai: OpenAIServer, tmp_path: Path
) -> None:
    hold = threading.Event()
    openai.script(
        Reply.exec("touch denied-w4.txt"),
        Reply.streaming("Streaming a long answer, marker-s5", hold),
    )
    agent = AgentPane.codex(driver, openai, tmp_path, name="x2")
    try:
        agent.wait_state("idle")
        assert agent.send("try the command d-1").submitted
        reading = agent.wait_state("awaiting_approval")
        assert reading.detail["command"] == "touch denied-w4.txt"
        agent.act("deny")
        agent.wait_state("idle")
        assert not (agent.project / "denied-w4.txt").exists()

        assert agent.send("stream something i-1").submitted
        agent.wait_screen("marker-s5")
        agent.wait_state("working")
        agent.act("interrupt")
        agent.wait_screen("interrupted")
        agent.wait_state("idle")
    finally:
        hold.set()

    driver.send_keys(agent.pane.pane_id, "C-c")  # one Ctrl-C on an empty composer quits
    reading = agent.wait_state("exited")
    assert reading.detail == {"status": 0, "signal": None}
    assert openai.prompts() == ["try the command d-1", "stream something i-1"]


def enter_plan_mode(driver: TmuxDriver, agent: AgentPane) -> None:
    """Shift+Tab until the footer says Plan mode: a first one sent as Codex finishes starting
    is sometimes lost (seen 1 in 6 launches, with the full footer already drawn)."""

    def in_plan_mode() -> bool:
        if "Plan mode (shift+tab to cycle)" in "\n".join(agent.screen()):
            return True
        driver.send_keys(agent.pane.pane_id, "BTab")
        return False

    agent.wait_screen("for agents")
    wait_until(in_plan_mode, timeout=60, interval=2.0, message="Codex in Plan mode")


@pytest.mark.parametrize("route", ["plan-mode", "feature"])
def test_codex_question_reaches_asking(
    driver: TmuxDriver, openai: OpenAIServer, tmp_path: Path, route: str
) -> None:
    """Codex's request_user_input tool: offered in Plan mode (shift+tab), or in the default
    mode when the ``default_mode_request_user_input`` feature is on."""
    openai.script(Reply.tool("request_user_input", CODEX_ASK), Reply.text("Blue it is, marker-b6."))
    features = (CODEX_QUESTION_FEATURE,) if route == "feature" else ()
    agent = AgentPane.codex(driver, openai, tmp_path, name="x4", features=features)
    agent.wait_state("idle")
    if route == "plan-mode":
        enter_plan_mode(driver, agent)
        agent.wait_state("idle")
    assert agent.send("ask me something q-1").submitted
    reading = agent.wait_state("asking")
    assert reading.detail["question"] == "Which colour should the button be?"
    with pytest.raises(AgentTuiError, match="not awaiting approval"):
        agent.act("approve")  # a question is not an approval: no key reaches it
    driver.send_keys(agent.pane.pane_id, "2")
    driver.send_keys(agent.pane.pane_id, "Enter")
    agent.wait_screen("marker-b6")
    agent.wait_state("idle")
    answers = [
        item.get("output")
        for turn in openai.turns()
        for item in turn.body.get("input") or []
        if isinstance(item, dict) and item.get("type") == "function_call_output"
    ]
    assert any("Blue" in str(output) for output in answers), answers
    assert openai.prompts() == ["ask me something q-1"]
