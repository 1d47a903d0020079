"""An orchestrating Claude Code that spawns and prompts three workers through the installed
skill, under an allow rule for ``agenttui``, is never reported awaiting_approval (real Claude
Code, current release, every agent jailed; one scripted model server, a script per agent).

Each of the orchestrator's ``agenttui`` commands draws a permission dialog while agenttui's
hook decides (Claude Code 2.1.3xx), and so does each worker's ``touch``: the policy allows
them all, so no ``wait`` (the orchestrator's on its workers, ours on the orchestrator) and no
reading of any agent ever says awaiting_approval.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.agents import JAIL_PORT_CLAUDE, claude_on_path, prepare_claude_home
from tests.e2e.harness import Watcher
from tests.e2e.model_server import AnthropicServer, Reply
from tests.support.cli import agenttui
from tests.support.git_repos import git_repo
from tests.support.tmux import TmuxServer
from workflows.agents.hooks import events_for_agent
from workflows.base.paths import config_dir
from workflows.base.store import Store
from workflows.tmux.driver import TmuxDriver

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
WORKERS = ("w1", "w2", "w3")
POLICY_READINGS = ("deciding", "answered")


def tool_results(server: AnthropicServer, directory: Path) -> list[str]:
    """What the orchestrator's Bash calls printed, as the model received it."""
    seen: list[str] = []
    for request in server.turns():
        messages = request.body.get("messages") or []
        if not messages or str(directory) not in json.dumps(request.body):
            continue
        for block in messages[-1].get("content") or []:
            if isinstance(block, dict) and block.get("type") == "tool_result":
                content = block.get("content")
                seen.append(content if isinstance(content, str) else json.dumps(content))
    return seen


def json_line(text: str) -> dict[str, object]:
    """The JSON object a ``--json`` verb printed (its last such line)."""
    lines = [line for line in text.splitlines() if line.startswith("{")]
    return dict(json.loads(lines[-1])) if lines else {"printed": text}


def test_an_orchestrator_and_its_three_workers_never_wait_for_a_person(
    driver: TmuxDriver,
    anthropic: AnthropicServer,
    tmp_path: Path,
    tmux_server: TmuxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    claude_on_path(tmp_path / "bin", anthropic, monkeypatch)
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "policy.toml").write_text('allow = ["Bash(agenttui:*)", "Bash(touch:*)"]\n')
    gateway = anthropic.claude_env(JAIL_PORT_CLAUDE)
    orchestrator = git_repo(tmp_path / "orch")
    agenttui("skill", "install", "--for", "claude", "--dir", str(orchestrator))
    commands: list[str] = []
    for name in WORKERS:
        project, home = git_repo(tmp_path / name), tmp_path / f"{name}-home"
        prepare_claude_home(home, tmp_path / "elsewhere", anthropic.api_key)  # never opened
        anthropic.script_for(project, Reply.bash(f"touch {name}.txt"), Reply.text(f"{name} done."))
        env = {**gateway, "HOME": str(home)}
        flags = " ".join(f"--env {shlex.quote(f'{k}={v}')}" for k, v in env.items())
        commands.append(
            f"agenttui spawn --agent claude --name {name} --cwd {project} {flags} "
            f"--prompt {shlex.quote(f'make {name}')} --json"
        )
        commands.append(f"agenttui wait {name} --state idle,awaiting_approval --timeout 120 --json")
    anthropic.script_for(
        orchestrator, *[Reply.bash(command) for command in commands], Reply.text("All spawned.")
    )
    home = tmp_path / "orch-home"
    prepare_claude_home(home, orchestrator, anthropic.api_key)
    env = {**gateway, "HOME": str(home)}
    flags = [word for key, value in env.items() for word in ("--env", f"{key}={value}")]
    agenttui("spawn", "--agent", "claude", "--name", "orch", "--cwd", str(orchestrator), *flags,
             timeout=120)  # fmt: skip

    agents = ["orch", *WORKERS]
    with Watcher(driver, agents) as watcher:
        assert json.loads(agenttui("send", "orch", "spawn three workers", "--json").stdout)[
            "submitted"
        ]
        # Someone waiting on the orchestrator (a person's script, another agent) hears of it
        # only once it is done: never for a dialog the policy is answering.
        waited = subprocess.run(
            [sys.executable, "-m", "tui", "--json", "wait", "orch", "--state",
             "idle,awaiting_approval", "--timeout", "400"],
            capture_output=True, text=True, timeout=450, check=False,
        )  # fmt: skip
        assert json.loads(waited.stdout)["state"] == "idle", waited.stdout + waited.stderr
    for name in WORKERS:
        assert (tmp_path / name / f"{name}.txt").exists(), name
    never = [(name, r.detail) for name, r in watcher.all() if r.state.value == "awaiting_approval"]
    assert never == [], never
    # The dialogs were drawn while the policy decided (2.1.3xx), and read as the policy's.
    decided = {name for name, r in watcher.all() if r.detail.get("policy") in POLICY_READINGS}
    assert "orch" in decided, decided
    printed = [json_line(text) for text in tool_results(anthropic, orchestrator)]
    waits = [result["state"] for result in printed if "source" in result]  # wait's --json
    assert waits == ["idle"] * len(WORKERS), printed
    store = Store()
    for name in agents:
        assert not events_for_agent(store, name, kind="undecided"), name
        allowed = [e["payload"]["action"] for e in events_for_agent(store, name, kind="answered")]
        assert allowed and set(allowed) == {"policy-allow"}, (name, allowed)
    first = anthropic.turns()[0].body
    assert "Start, steer and watch other AI coding agents" in json.dumps(first)  # the skill
    assert anthropic.prompts_in(orchestrator) == ["spawn three workers"]
    for name in WORKERS:
        assert anthropic.prompts_in(tmp_path / name) == [f"make {name}"]  # exactly once
