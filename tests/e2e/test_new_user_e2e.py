"""Where a new user starts, with the real Claude Code (jailed, offline): a git repo never
opened with claude, the built-in claude profile plus only the env a gateway needs
(``[agents.claude]`` in config.toml, the key passed through by ``env_from``), agenttui's
default locations under a fresh HOME, and the agent given a HOME of its own. Nobody answers
anything by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.agents import claude_on_path, prepare_claude_home
from tests.e2e.model_server import AnthropicServer, Reply
from tests.e2e.new_user import gateway_config, one_step_run
from tests.support.cli import agenttui
from tests.support.git_repos import git_repo
from tests.support.runs import wait_for_end
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.agents.hooks import events_for_agent
from workflows.base.store import Store

pytestmark = pytest.mark.e2e


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
