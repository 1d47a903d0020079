"""The policy decides before a person is called, with the real Claude Code (jailed, offline).

Claude Code 2.1.3xx draws its permission dialog while agenttui's PermissionRequest hook is
still deciding. Under an allow rule no dialog may ever read ``awaiting_approval`` (that is
what would notify, ring the bell, count in ``attention`` and end an orchestrator's ``wait``),
and ``agenttui wait --state idle,awaiting_approval`` must come back ``idle``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.agents import npm_bin
from tests.e2e.harness import AgentPane, Watcher
from tests.e2e.model_server import AnthropicServer, Reply
from tests.support.cli import agenttui_json
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.agents.hooks import events_for_agent
from workflows.base.paths import config_dir
from workflows.base.store import Store
from workflows.tmux.driver import TmuxDriver

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]
WORDS = ("one", "two", "three")


def test_dialogs_the_policy_allows_never_wait_for_a_person(
    driver: TmuxDriver, anthropic: AnthropicServer, tmp_path: Path, tmux_server: TmuxServer
) -> None:
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "policy.toml").write_text('allow = ["Bash(touch:*)"]\n')
    for word in WORDS:
        anthropic.script(Reply.bash(f"touch {word}.txt"), Reply.text(f"Made {word}."))
    # The current release: it draws the dialog while the hook decides (2.1.197 did not).
    binary = npm_bin("claude", release="current")
    agent = AgentPane.claude(driver, anthropic, tmp_path, name="p1", binary=binary)
    agent.wait_state("idle")
    with Watcher(driver, ["p1"]) as watcher:
        for word in WORDS:
            assert agent.send(f"make {word}").submitted
            code, waited = agenttui_json(
                "--json", "wait", "p1", "--state", "idle,awaiting_approval"
            )
            sequence = [
                (e["kind"], round(e["at"] % 100, 2)) for e in events_for_agent(Store(), "p1")
            ]
            assert (code, waited["state"]) == (0, "idle"), (waited, sequence)
            wait_until((agent.project / f"{word}.txt").exists, timeout=10)
    readings = [reading for _, reading in watcher.all()]
    states = [reading.state.value for reading in readings]
    assert "awaiting_approval" not in states, [r for r in readings if r.detail]
    # The dialog really was on screen while the hook decided (what 2.1.3xx does), and read
    # as the policy's: the race this test is about happened.
    drawn = sum("Do you want to proceed?" in "\n".join(lines) for lines in watcher.screens)
    policy = [r for r in readings if r.detail.get("policy") in ("deciding", "answered")]
    assert drawn and policy, (drawn, len(readings))
    assert all(r.state.value == "working" for r in policy)
    answered = events_for_agent(Store(), "p1", kind="answered")
    assert [e["payload"]["action"] for e in answered] == ["policy-allow"] * 3
    assert not events_for_agent(Store(), "p1", kind="undecided")
    assert anthropic.prompts() == [f"make {word}" for word in WORDS]  # each exactly once
