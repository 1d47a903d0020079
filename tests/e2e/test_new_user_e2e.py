"""Where a new user starts, with the real Claude Code (jailed, offline): a git repo never
opened with claude, the built-in claude profile plus only the env a gateway needs
(``[agents.claude]`` in config.toml, the key passed through by ``env_from``), agenttui's
default locations under a fresh HOME, and the agent given a HOME of its own. Nobody answers
anything by hand."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest
import tomli_w

from tests.e2e.agents import JAIL_PORT_CLAUDE, npm_bin, prepare_claude_home
from tests.e2e.model_server import AnthropicServer, Reply
from tests.e2e.netjail import jail_argv
from tests.support.cli import agenttui
from tests.support.runs import agenttui, wait_for_end
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.agents.hooks import events_for_agent
from workflows.base.store import Store

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


def gateway_config(
    config: Path, server: AnthropicServer, agent_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only what a gateway needs, the way the README says: ``[agents.claude]`` with the key
    passed through from the environment (never in the file), and a HOME of the agent's own."""
    env = server.claude_env(JAIL_PORT_CLAUDE)
    monkeypatch.setenv("ANTHROPIC_API_KEY", env.pop("ANTHROPIC_API_KEY"))
    env["HOME"] = str(agent_home)
    (config / "config.toml").write_text(
        tomli_w.dumps({"agents": {"claude": {"env": env, "env_from": ["ANTHROPIC_API_KEY"]}}})
    )


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

    gateway_config(config, anthropic, agent_home, monkeypatch)
    spawned = agenttui("spawn", "--agent", "claude", "--name", "n1", "--cwd", str(repo), "--json",
                       timeout=120)  # fmt: skip
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


ONE_STEP = """
name = "one-step"
agent = "claude"

[[steps]]
id = "refine"
prompt = "Refine {issue_ids}."
output = ".agenttui/refine.md"
"""


def one_step_run(
    home: Path,
    anthropic: AnthropicServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    config_extra: str = "",
) -> tuple[str, Path, Path]:
    """A new user's one-step run of the real Claude in a worktree it never saw (branch
    ``agent-work`` at ``tmp_path/worktree``), the model scripted to write the step's file and
    answer "Written, marker-r1.": the run id, the repo and the agent's HOME."""
    claude_on_path(tmp_path / "bin", anthropic, monkeypatch)
    repo = git_repo(tmp_path / "app")
    worktree = tmp_path / "worktree"  # the run reuses a checkout of its branch: a known path
    subprocess.run(["git", "-C", str(repo), "worktree", "add", "-q", "-b", "agent-work",
                    str(worktree)], check=True)  # fmt: skip
    agent_home = tmp_path / "agent-home"
    prepare_claude_home(agent_home, tmp_path / "some-other-project", anthropic.api_key)
    config = home / ".config" / "agenttui"
    config.mkdir(parents=True)
    (config / "policy.toml").write_text('allow = ["Edit"]\n')
    gateway_config(config, anthropic, agent_home, monkeypatch)
    with (config / "config.toml").open("a") as handle:
        handle.write(config_extra)
    notes = worktree / ".agenttui" / "refine.md"
    anthropic.script(
        Reply.tool("Write", {"file_path": str(notes), "content": "Refined.\n"}),
        Reply.text("Written, marker-r1."),
    )
    definition = tmp_path / "one-step.toml"
    definition.write_text(ONE_STEP)
    started = agenttui("run", str(definition), "--issues", "PCL-101", "--repo", str(repo),
                       "--branch", "agent-work", "--json")  # fmt: skip
    return json.loads(started.stdout)["run"], repo, agent_home


def test_new_user_run_gets_claude_past_trust_in_its_new_worktree(
    new_user: Path,
    tmux_server: TmuxServer,
    anthropic: AnthropicServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run's agent in a worktree Claude never saw: the run answers trust with no person,
    the agent lives, its prompt reaches the model once, and the run succeeds."""
    run_id, repo, agent_home = one_step_run(new_user, anthropic, tmp_path, monkeypatch)
    notes = tmp_path / "worktree" / ".agenttui" / "refine.md"
    summary = wait_for_end(run_id, timeout=180)
    log = agenttui("log", run_id).stdout
    assert summary["status"] == "succeeded", log
    assert f"answered the trust dialog of {run_id}-main" in log and "is trust" not in log
    assert notes.read_text() == "Refined.\n"
    state = json.loads((agent_home / ".claude.json").read_text())
    # Claude records the trust of a worktree at its repository.
    assert state["projects"][str(repo)]["hasTrustDialogAccepted"] is True
    # Once: one model turn whose newest user message carries it (raw bodies: a first prompt
    # given on the command line arrives in a text block that starts with a "<session>" tag).
    newest = [
        json.dumps([m for m in turn.body["messages"] if m["role"] in ("user", "assistant")][-1])
        for turn in anthropic.turns()
    ]
    assert sum("Refine PCL-101" in message for message in newest) == 1
