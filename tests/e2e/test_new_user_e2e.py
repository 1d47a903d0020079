"""Where a new user starts, with the real Claude Code (jailed, offline): a git repo never
opened with claude, the built-in claude profile, agenttui's default locations under a fresh
HOME, and the agent given a HOME of its own. Nobody answers anything by hand."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.conftest import TmuxServer
from tests.e2e.agents import JAIL_PORT_CLAUDE, npm_bin, prepare_claude_home
from tests.e2e.model_server import AnthropicServer, Reply
from tests.e2e.netjail import jail_argv
from tests.helpers import wait_until
from tests.run_fixtures import agenttui
from workflows.agents.hooks import events_for_agent
from workflows.store import Store

pytestmark = pytest.mark.e2e


@pytest.fixture
def new_user(isolated_env: Path, tmux_server: TmuxServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No AGENTTUI_* locations: agenttui's defaults under the tmp HOME, as for a new user."""
    for name in ("AGENTTUI_STATE_DIR", "AGENTTUI_CONFIG_DIR", "AGENTTUI_CONFIG"):
        monkeypatch.delenv(name)
    return isolated_env


def claude_on_path(bin_dir: Path, server: AnthropicServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """``claude`` first on PATH runs the real CLI inside ``unshare -n`` (only the model server
    is reachable), so the built-in profile's plain ``claude`` command is what runs."""
    bin_dir.mkdir(parents=True)
    jailed = jail_argv(JAIL_PORT_CLAUDE, str(server.unix_path), [npm_bin("claude")])
    (bin_dir / "claude").write_text(f'#!/bin/sh\nexec {shlex.join(jailed)} "$@"\n')
    (bin_dir / "claude").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")


def git_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    (path / "README.md").write_text("# app\n")
    identity = ["-c", "user.name=t", "-c", "user.email=t@t"]
    for args in (["add", "-A"], [*identity, "commit", "-qm", "initial"]):
        subprocess.run(["git", "-C", str(path), *args], check=True)
    return path


def test_new_user_spawns_claude_in_an_untrusted_repo_and_its_hooks_reach_agenttui(
    new_user: Path,
    tmux_server: TmuxServer,
    anthropic: AnthropicServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = new_user
    claude_on_path(tmp_path / "bin", anthropic, monkeypatch)
    repo = git_repo(tmp_path / "app")
    agent_home = tmp_path / "agent-home"  # onboarding done, but this repo never opened
    prepare_claude_home(agent_home, tmp_path / "some-other-project", anthropic.api_key)
    config = home / ".config" / "agenttui"  # agenttui's default config dir under HOME
    config.mkdir(parents=True)
    (config / "policy.toml").write_text('allow = ["Bash(touch:*)"]\n')
    anthropic.script(Reply.bash("touch allowed-by-policy.txt"), Reply.text("Done, marker-n1."))

    env = {**anthropic.claude_env(JAIL_PORT_CLAUDE), "HOME": str(agent_home)}
    flags = [word for key, value in env.items() for word in ("--env", f"{key}={value}")]
    spawned = agenttui("spawn", "--agent", "claude", "--name", "n1", "--cwd", str(repo), *flags,
                       "--json", timeout=120)  # fmt: skip
    assert json.loads(spawned.stdout)["state"] == "idle"

    # The trust answer picked "Yes": Claude recorded the folder as trusted and did not exit.
    state = json.loads((agent_home / ".claude.json").read_text())
    assert state["projects"][str(repo)]["hasTrustDialogAccepted"] is True
    store = Store(home / ".local/state/agenttui/agenttui.sqlite3")  # the default store
    (answered,) = events_for_agent(store, "n1", kind="trust_answered")
    assert answered["payload"]["keys"][-1] == "Enter"
    read = json.loads(agenttui("read", "n1", "--json").stdout)
    assert read["state"] == "idle" and not read["dead"]

    # The hooks find agenttui's default store and policy though the agent's HOME is another.
    sent = json.loads(agenttui("send", "n1", "make the file n-1", "--json").stdout)
    assert sent["submitted"]
    wait_until((repo / "allowed-by-policy.txt").exists, timeout=60, message="the allowed command")
    wait_until(lambda: events_for_agent(store, "n1", kind="stop"), timeout=60, message="stop")
    assert events_for_agent(store, "n1", kind="permission")  # answered by the policy
    assert not (agent_home / ".local/state/agenttui").exists()  # no second store
    assert anthropic.prompts() == ["make the file n-1"]
