"""The real Claude Code CLI (npm) in tmux, offline against a scripted Anthropic server.

Checks the whole state sequence through agenttui's own code: idle → send → working →
awaiting_approval (command in the detail) → approve → the command really ran → idle; deny;
interrupt while a reply streams; exit with its status. Claude runs inside ``unshare -n``.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from tests.e2e.agents import npm_bin
from tests.e2e.harness import AgentPane
from tests.e2e.model_server import AnthropicServer, Reply
from tests.support.cli import agenttui_json
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.agents.hooks import events_for_agent
from workflows.base.errors import AgentTuiError
from workflows.base.store import Store
from workflows.tmux.driver import TmuxDriver

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


@pytest.mark.parametrize("release", ["current", "pinned"])
def test_claude_approve_cycle_with_hooks(
    driver: TmuxDriver,
    anthropic: AnthropicServer,
    tmp_path: Path,
    tmux_server: TmuxServer,
    release: str,
) -> None:
    """Also on the older pinned release (tests/agent-clis.txt): a smoke test of both."""
    hold = threading.Event()
    anthropic.script(
        Reply.streaming("Thinking it over, marker-k7", hold),
        Reply.bash("touch approved-q3.txt"),
        Reply.text("All done, marker-z9."),
    )
    binary = npm_bin("claude", release=release)
    agent = AgentPane.claude(driver, anthropic, tmp_path, name="c1", binary=binary)
    try:
        agent.wait_state("idle")
        assert agent.send("first prompt p-1").submitted
        agent.wait_screen("marker-k7")
        assert agent.wait_state("working").state == "working"
        hold.set()
        agent.wait_state("idle")

        assert agent.send("please run it p-2").submitted
        code, waited = agenttui_json("--json", "wait", "c1", "--state", "awaiting_approval")
        assert code == 0, waited
        reading = agent.state()
        assert reading.state == "awaiting_approval"
        assert reading.detail["command"] == "touch approved-q3.txt"
        assert reading.detail["tool"] == "Bash"
        assert reading.detail["policy"] == "no rule decides this request"
        assert not (agent.project / "approved-q3.txt").exists()

        code, approved = agenttui_json("--json", "approve", "c1")
        assert code == 0, approved
        wait_until((agent.project / "approved-q3.txt").exists, timeout=30)
        agent.wait_screen("marker-z9")
        agent.wait_state("idle")
        # Nothing left to approve: the verb refuses instead of pressing keys blindly.
        code, refused = agenttui_json("--json", "approve", "c1")
        assert code == 1 and "not awaiting approval" in str(refused["error"])
    finally:
        hold.set()

    kinds = [event["kind"] for event in events_for_agent(Store(), "c1")]
    for kind in ("submit", "permission", "stop"):
        assert kind in kinds, kinds
    permission = next(e for e in events_for_agent(Store(), "c1", kind="permission"))
    assert permission["payload"]["tool_input"]["command"] == "touch approved-q3.txt"
    assert anthropic.prompts() == ["first prompt p-1", "please run it p-2"]


def test_claude_deny_interrupt_and_exit(
    driver: TmuxDriver, anthropic: AnthropicServer, tmp_path: Path
) -> None:
    hold = threading.Event()
    anthropic.script(
        Reply.bash("touch denied-w4.txt"),
        Reply.streaming("Streaming a long answer, marker-s5", hold),
    )
    agent = AgentPane.claude(driver, anthropic, tmp_path, name="c2")
    try:
        agent.wait_state("idle")
        with pytest.raises(AgentTuiError, match="not awaiting approval"):
            agent.act("deny")
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
        agent.wait_screen("Interrupted")
        agent.wait_state("idle")
    finally:
        hold.set()

    driver.send_keys(agent.pane.pane_id, "C-c")
    agent.wait_screen("Press Ctrl-C again to exit")
    driver.send_keys(agent.pane.pane_id, "C-c")
    reading = agent.wait_state("exited")
    assert reading.detail == {"status": 0, "signal": None}
    assert reading.source == "tmux"
    assert anthropic.prompts() == ["try the command d-1", "stream something i-1"]


def test_claude_question_is_asking_with_the_question(
    driver: TmuxDriver, anthropic: AnthropicServer, tmp_path: Path
) -> None:
    question = {
        "questions": [
            {
                "question": "Which colour should the button be?",
                "header": "Colour",
                "options": [
                    {"label": "Red", "description": "warm"},
                    {"label": "Blue", "description": "cool"},
                ],
                "multiSelect": False,
            }
        ]
    }
    anthropic.script(Reply.tool("AskUserQuestion", question), Reply.text("Blue it is, marker-q2."))
    agent = AgentPane.claude(driver, anthropic, tmp_path, name="c4")
    agent.wait_state("idle")
    assert agent.send("ask me something a-1").submitted
    reading = agent.wait_state("asking")
    assert reading.detail["question"] == "Which colour should the button be?"
    with pytest.raises(AgentTuiError, match="not awaiting approval"):
        agent.act("approve")  # a question is not a permission: never answered with "yes"
    # Claude Code 2.1.332 drops keys for about half a second after drawing the question (as
    # its trust dialog does); a person reads it first, so the test waits for a still screen.
    agent.wait_still(seconds=1.0)
    driver.send_keys(agent.pane.pane_id, "2")
    agent.wait_screen("marker-q2")
    agent.wait_state("idle")


def test_cli_verbs_drive_real_claude_end_to_end(
    anthropic: AnthropicServer, tmp_path: Path, tmux_server: TmuxServer
) -> None:
    """`agenttui spawn/send/wait/ls/approve` as an orchestrating agent would use them.

    A user profile named claude (config dir) keeps the built-in rules and only runs the CLI
    jailed; spawn must wire the hooks itself (no harness help).
    """
    from tests.e2e.agents import JAIL_PORT_CLAUDE, base_env, npm_bin, prepare_claude_home
    from tests.e2e.netjail import jail_argv
    from workflows.agents.profiles import BUILTIN_DIR
    from workflows.base.paths import config_dir

    home, project = tmp_path / "home", tmp_path / "proj"
    project.mkdir()
    prepare_claude_home(home, project, anthropic.api_key)
    command = jail_argv(JAIL_PORT_CLAUDE, str(anthropic.unix_path), [npm_bin("claude")])
    builtin = (BUILTIN_DIR / "claude.toml").read_text()
    profiles = config_dir() / "profiles"
    profiles.mkdir(parents=True)
    (profiles / "claude.toml").write_text(
        builtin.replace('command = ["claude"]', f"command = {json.dumps(command)}")
    )
    env = {**base_env(home), **anthropic.claude_env(JAIL_PORT_CLAUDE)}
    anthropic.script(Reply.bash("touch via-cli.txt"), Reply.text("Done via the CLI, marker-v1."))

    env_flags = [flag for key, value in env.items() for flag in ("--env", f"{key}={value}")]
    code, spawned = agenttui_json("--json", "spawn", "--agent", "claude", "--name", "c5",
                        "--cwd", str(project), *env_flags)  # fmt: skip
    assert code == 0, spawned
    code, waited = agenttui_json("--json", "wait", "c5", "--state", "idle", "--timeout", "90")
    assert code == 0, waited
    code, sent = agenttui_json("--json", "send", "c5", "make the file v-1")
    assert code == 0 and sent["submitted"], sent
    code, waited = agenttui_json("--json", "wait", "c5", "--state", "awaiting_approval")
    assert code == 0, waited
    code, listed = agenttui_json("--json", "ls")
    [entry] = [e for e in listed if e["name"] == "c5"]  # type: ignore[union-attr, index]
    assert entry["state"] == "awaiting_approval"
    assert entry["detail"]["command"] == "touch via-cli.txt"
    code, approved = agenttui_json("--json", "approve", "c5")
    assert code == 0, approved
    wait_until((project / "via-cli.txt").exists, timeout=30)
    code, waited = agenttui_json("--json", "wait", "c5", "--state", "idle", "--timeout", "90")
    assert code == 0, waited
    assert [e["kind"] for e in events_for_agent(Store(), "c5", kind="permission")]
    assert anthropic.prompts() == ["make the file v-1"]
