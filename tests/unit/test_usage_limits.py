"""Usage limits: reset times as the agents word them, the demo agent's limit screen, the
profile's limit record."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.environment import write_config
from workflows.agents.classifier import screen_state
from workflows.agents.demo_agent import Agent
from workflows.agents.demo_screen import render
from workflows.agents.profiles import load_profile_file
from workflows.agents.resets import reset_at
from workflows.agents.state import AgentState, StateReading
from workflows.agents.usage_limits import limited, record_limit
from workflows.base.config import ConfigError
from workflows.base.store import Store
from workflows.runs.steps.usage_limit import resume_time

NOW = datetime(2026, 12, 5, 21, 10, 0, tzinfo=UTC).timestamp()  # a Saturday, 21:10 UTC


def at(text: str) -> str:
    moment = reset_at(text, NOW)
    assert moment is not None, text
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S")


def test_reset_times_in_each_agents_words() -> None:
    # Claude Code: "You've hit your session limit · resets 10:30pm (Europe/Berlin)"
    assert at("10:30pm (Europe/Berlin)") == "2026-12-05 21:30:00"  # CET = UTC+1
    assert at("4am (UTC)") == "2026-12-06 04:00:00"  # long past today: tomorrow's
    assert at("8:30pm (UTC)") == "2026-12-05 20:30:00"  # just passed: that one
    assert at("9:12:30pm (UTC)") == "2026-12-05 21:12:30"  # the demo agent, with seconds
    # Codex: "try again at Dec 5th, 2026 1:20 AM." / "try again in 2 hours 5 minutes."
    assert at("Dec 5th, 2026 11:20 PM (UTC)") == "2026-12-05 23:20:00"
    assert at("2 hours 5 minutes") == "2026-12-05 23:15:00"
    # Gemini CLI: "Access resets at 1:22 AM UTC."
    assert at("1:22 AM UTC") == "2026-12-06 01:22:00"
    for nothing in ("soon", "", "25:00", "13pm (UTC)"):
        assert reset_at(nothing, NOW) is None, nothing


def _lines(agent: Agent) -> list[str]:
    frame = render(agent.screen, 80, 24)
    rows = frame.split("\x1b]2;")[0].split("\r\n")
    return [re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", row) for row in rows]


def test_the_demo_agent_holds_its_work_until_its_limit_resets(tmp_path: Path) -> None:
    profile = load_profile_file("demo")
    agent = Agent(cwd=tmp_path, work_seconds=0.0)
    agent.screen.input = "Implement it [usage-limit 0.5s]. Write your answer to the file: a.md"
    agent.submit()
    assert agent.job is None
    state, detail = screen_state(profile, _lines(agent), "✳ demo") or (None, {})
    assert state is AgentState.BLOCKED and detail["reason"] == "usage_limit"
    assert detail["message"].startswith("You've hit your session limit · resets ")
    until = reset_at(detail["resets"], time.time())
    assert until is not None and 0 < until - time.time() <= 1.5  # shown to the second
    agent.screen.input = "too early"
    agent.submit()
    assert agent.job is None  # still limited: the message again
    time.sleep(0.6)
    agent.screen.input = "continue"
    agent.submit()
    assert agent.job is not None and "Implement it" in agent.job.prompt  # the held work
    agent.tick()
    assert (tmp_path / "a.md").is_file()
    state, _ = screen_state(profile, _lines(agent), "✳ demo") or (None, {})
    assert state is AgentState.IDLE


def test_resume_time_is_the_reset_shown_else_a_bounded_back_off() -> None:
    write_config("[usage_limits]\nmargin_s = 5\nbackoff_s = 60\nmax_wait_s = 200\n")
    limit = {"reason": "usage_limit", "resets": "9:30pm (UTC)"}
    reading = StateReading(AgentState.BLOCKED, limit)
    assert resume_time(reading, 0, NOW)[0] == NOW + 20 * 60 + 5
    passed = StateReading(AgentState.BLOCKED, {**limit, "resets": "9:05pm (UTC)"})
    assert resume_time(passed, 0, NOW)[0] == NOW + 5  # read late: the margin alone
    assert resume_time(passed, 1, NOW)[0] == NOW + 120  # still limited after it: back off
    no_time = StateReading(AgentState.BLOCKED, {"reason": "usage_limit"})
    waits = [resume_time(no_time, pauses, NOW)[0] - NOW for pauses in range(4)]
    assert waits == [60, 120, 200, 200]  # doubling, capped
    write_config("[usage_limits]\nmax_pauses = 0\n")
    with pytest.raises(
        ConfigError, match=r"config.toml:2: .*max_pauses must be a whole number ≥ 1"
    ):
        resume_time(no_time, 0, NOW)


def test_a_profile_is_limited_until_its_reset() -> None:
    store = Store()
    record_limit(store, "claude", NOW + 60, "You've hit your session limit")
    assert limited(store, "claude", NOW) == (NOW + 60, "You've hit your session limit")
    assert limited(store, "claude", NOW + 61) is None
    assert limited(store, "codex", NOW) is None


@pytest.mark.parametrize(
    ("profile", "screen", "resets"),
    [
        (
            "claude",
            [
                "❯ fix the parser",
                "  ⎿  You've hit your session limit · resets 4am (UTC)",
                "❯ continue",
                "  ⎿  You've hit your session limit · resets 10:30pm (UTC)",
                "─" * 40,
                "❯ ",
            ],
            "10:30pm (UTC)",
        ),
        (
            "codex",
            [
                "■ You've hit your usage limit. Upgrade to Pro or try again at Dec 5th, 2026 "
                "1:20 AM.",
                "› continue",
                "■ You've hit your usage limit. Upgrade to Pro or try again at Dec 5th, 2026 "
                "11:20 PM.",
                "› ",
            ],
            "Dec 5th, 2026 11:20 PM",
        ),
    ],
)
def test_the_newest_limit_message_on_screen_names_the_reset(
    profile: str, screen: list[str], resets: str
) -> None:
    # A limit hit again after a continue: the older message is still in the transcript
    # above, and its reset (long past) must not be the one the run waits for.
    seen = screen_state(load_profile_file(profile), screen, "")
    assert seen is not None
    state, detail = seen
    assert state is AgentState.BLOCKED and detail["reason"] == "usage_limit"
    assert detail["resets"] == resets
    assert resets in detail["message"]  # the same message, not the older one
