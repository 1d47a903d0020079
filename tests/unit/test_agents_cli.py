"""The agents verbs that need no agent: hook (as the agents call it) and skill (install)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from tests.support.cli import agenttui, agenttui_result
from workflows.agents.hooks import events_for_agent
from workflows.base.store import Store


def test_claude_hook_records_event_and_stays_silent() -> None:
    payload = {
        "hook_event_name": "PermissionRequest",
        "tool_name": "Bash",
        "tool_input": {"command": "rm -rf build"},
    }
    env_pane = {"TMUX_PANE": "%7", "TMUX": "/tmp/tmux-0/x,42,0"}
    done = subprocess.run(
        [sys.executable, "-m", "tui", "hook", "--pane", "w1", "claude"],
        input=json.dumps(payload), capture_output=True, text=True, check=False,
        env={**os.environ, **env_pane},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # no policy verdict: Claude shows its own dialog
    event, left = events_for_agent(Store(), "w1")
    assert (event["kind"], event["pane_id"]) == ("permission", "%7")
    assert event["payload"]["tool_input"]["command"] == "rm -rf build"
    # ...and says the dialog is a person's now (the classifier reports awaiting_approval).
    assert (left["kind"], left["pane_id"]) == ("undecided", "%7")
    assert left["payload"] == {"reason": "no rule decides this request", "by": "default"}


def test_claude_pre_tool_hook_records_the_tool_call_start_without_its_input() -> None:
    payload = {
        "hook_event_name": "PreToolUse",
        "tool_name": "Write",
        "tool_use_id": "toolu_1",
        "tool_input": {"file_path": "/tmp/x", "content": "big" * 1000},
    }
    done = agenttui_result("hook", "--pane", "w2", "claude", stdin=json.dumps(payload))
    assert done.returncode == 0, done.stderr
    [event] = events_for_agent(Store(), "w2")
    assert event["kind"] == "tool_start"
    assert event["payload"] == {"tool_name": "Write", "tool_use_id": "toolu_1"}


def test_codex_notify_hook_takes_json_argument() -> None:
    note = {"type": "agent-turn-complete", "last-assistant-message": "done"}
    done = agenttui_result("hook", "--pane", "x1", "codex", json.dumps(note))
    assert done.returncode == 0, done.stderr
    assert [e["kind"] for e in events_for_agent(Store(), "x1")] == ["stop"]


def test_hook_never_fails_the_agent_on_garbage() -> None:
    done = agenttui_result("hook", "--pane", "g", "claude", stdin="not json at all")
    assert done.returncode == 0
    assert events_for_agent(Store(), "g")[0]["payload"] == {"unparsed": "not json at all"}


def test_hook_is_fast_and_imports_no_ui() -> None:
    code = (
        "import sys, time; t = time.perf_counter(); from tui.cli import main; "
        "main(['hook', '--pane', 'f', 'codex', '{}']); "
        "print(time.perf_counter() - t, 'textual' in sys.modules)"
    )
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    elapsed, textual = done.stdout.split()
    assert textual == "False"
    assert float(elapsed) < 5 and time.perf_counter() - started < 10  # generous: shared CPU


def test_skill_prints_the_verbs() -> None:
    done = agenttui_result("skill")
    assert done.returncode == 0
    for verb in ("spawn", "send", "wait", "approve", "deny", "interrupt", "awaiting_approval"):
        assert verb in done.stdout


def test_every_wait_the_skill_suggests_stops_for_a_person() -> None:
    """An agent blocked on a dialog or a question is waiting for someone: a wait list
    without those states waits forever on it."""
    text = agenttui("skill").stdout
    waits = re.findall(r"agenttui wait \S+ --state (\S+)", text)
    assert len(waits) >= 2
    for states in waits:
        assert {"awaiting_approval", "asking", "idle"} <= set(states.split(",")), states


def test_skill_install_claude_is_idempotent(tmp_path: Path) -> None:
    for _ in range(2):
        assert (
            agenttui_result(
                "skill", "install", "--for", "claude", "--dir", str(tmp_path)
            ).returncode
            == 0
        )
    skill = tmp_path / ".claude" / "skills" / "agenttui" / "SKILL.md"
    text = skill.read_text()
    assert text.startswith("---\nname: agenttui\ndescription: ")
    assert text.count("name: agenttui") == 1
    assert text.rstrip().endswith(agenttui_result("skill").stdout.rstrip())


def test_skill_install_codex_keeps_the_rest_of_agents_md(tmp_path: Path) -> None:
    agents_md = tmp_path / "AGENTS.md"
    agents_md.write_text("# Project rules\n\nUse tabs.\n")
    for _ in range(3):
        assert (
            agenttui_result("skill", "install", "--for", "codex", "--dir", str(tmp_path)).returncode
            == 0
        )
    text = agents_md.read_text()
    assert text.startswith("# Project rules\n\nUse tabs.\n")
    assert text.count("agenttui:begin") == 1 and text.count("agenttui:end") == 1
    agents_md.write_text(text + "\n## Later section\n")
    agenttui_result("skill", "install", "--for", "codex", "--dir", str(tmp_path))
    assert agents_md.read_text().endswith("## Later section\n")


def test_skill_install_defaults_to_user_dirs(isolated_env: Path) -> None:
    assert agenttui_result("skill", "install", "--for", "claude").returncode == 0
    assert (isolated_env / ".claude" / "skills" / "agenttui" / "SKILL.md").exists()
    assert agenttui_result("skill", "install", "--for", "codex").returncode == 0
    assert (isolated_env / ".codex" / "AGENTS.md").exists()
