"""What each process agenttui starts can see: every agent (of a run, spawned) gets agenttui's
default locations as absolute paths whatever HOME its profile sets, and no agent, test command
or tmux server holds GITHUB_TOKEN / LINEAR_API_KEY; the runner alone has them."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomli_w

from tests.support.cli import agenttui
from tests.support.git_repos import make_project
from tests.support.runs import start_run, wait_for_end
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.base.paths import config_dir
from workflows.runs.run_store import RunStore

TOKEN = "ghp_never_in_an_agent_0123456789"
LINEAR_KEY = "lin_api_never_in_an_agent_0123"
WORKFLOW = """
name = "env-check"
agent = "envdump"

[[steps]]
id = "agent"
kind = "spawn"

[[steps]]
id = "test"
run = "env > shell-env.txt"
"""


@pytest.fixture
def default_locations(
    tmux_server: TmuxServer, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """agenttui's defaults under the tmp HOME (no AGENTTUI_* location variables), and the
    secrets agenttui holds set in its environment."""
    for name in ("AGENTTUI_STATE_DIR", "AGENTTUI_CONFIG_DIR", "AGENTTUI_CONFIG"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("LINEAR_API_KEY", LINEAR_KEY)
    elsewhere = isolated_env.parent / "agent-home"
    elsewhere.mkdir()
    # An agent that writes its environment to a file, then waits at a "$ " prompt; its
    # profile gives it a HOME of its own.
    profile = {
        "command": ["sh", "-c", "env > agent-env.txt; printf '$ '; exec cat >/dev/null"],
        "env": {"HOME": str(elsewhere)},
        "ready": "^\\$",
        "rules": [{"state": "idle", "screen": "^\\$\\s*$", "last_lines": 1}],
    }
    (config_dir() / "profiles").mkdir(parents=True)
    (config_dir() / "profiles" / "envdump.toml").write_text(tomli_w.dumps(profile))
    return isolated_env


def environment(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def assert_locations_and_no_secrets(env: dict[str, str], home: Path) -> None:
    assert env["AGENTTUI_STATE_DIR"] == str(home / ".local/state/agenttui")
    assert env["AGENTTUI_CONFIG_DIR"] == str(home / ".config/agenttui")
    assert env["AGENTTUI_CONFIG"] == str(home / ".config/agenttui/config.toml")
    assert "GITHUB_TOKEN" not in env and "LINEAR_API_KEY" not in env
    assert TOKEN not in str(env) and LINEAR_KEY not in str(env)


def test_a_runs_agent_and_test_command_get_locations_and_no_secrets(
    default_locations: Path, tmux_server: TmuxServer, tmp_path: Path
) -> None:
    home = default_locations
    project = make_project(tmp_path)
    definition = tmp_path / "env-check.toml"
    definition.write_text(WORKFLOW)
    run_id = start_run(
        str(definition), "--issues", "PCL-101", "--repo", str(project.repo), "--source", "local"
    )
    summary = wait_for_end(run_id, timeout=90)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    worktree = Path(summary["worktree"])
    agent = environment(worktree / "agent-env.txt")
    assert_locations_and_no_secrets(agent, home)
    assert agent["HOME"] == str(home.parent / "agent-home")  # the profile's own HOME stays
    assert agent["AGENTTUI_TMUX_SOCKET"] == tmux_server.socket
    shell = environment(worktree / "shell-env.txt")
    assert "GITHUB_TOKEN" not in shell and TOKEN not in str(shell)
    assert "LINEAR_API_KEY" not in shell and LINEAR_KEY not in str(shell)
    # The server agenttui started holds none either (every new pane inherits it).
    server_env = tmux_server.cmd("show-environment", "-g")
    assert TOKEN not in server_env and LINEAR_KEY not in server_env


def test_spawned_agent_gets_locations_and_no_secrets_even_from_a_server_that_has_them(
    default_locations: Path, tmux_server: TmuxServer, tmp_path: Path
) -> None:
    """A tmux server someone else started with the token in its environment: the launcher
    removes it from what the agent inherits."""
    tmux_server.cmd("new-session", "-d", "-s", tmux_server.session)
    tmux_server.cmd("set-environment", "-g", "GITHUB_TOKEN", TOKEN)
    done = agenttui("spawn", "--agent", "envdump", "--name", "e1", "--cwd", str(tmp_path))
    assert done.returncode == 0
    wait_until((tmp_path / "agent-env.txt").exists, message="the agent's env")
    agent = environment(tmp_path / "agent-env.txt")
    assert_locations_and_no_secrets(agent, default_locations)
    (tmp_path / "e2").mkdir()
    agenttui(
        "spawn", "--agent", "envdump", "--name", "e2", "--cwd", str(tmp_path / "e2"),
        "--env", f"GITHUB_TOKEN={TOKEN}",
    )  # fmt: skip
    wait_until((tmp_path / "e2" / "agent-env.txt").exists, message="the agent's env")
    assert environment(tmp_path / "e2" / "agent-env.txt")["GITHUB_TOKEN"] == TOKEN  # asked for


def test_run_env_and_config_env_from_reach_the_runs_agents_and_are_never_stored(
    default_locations: Path,
    tmux_server: TmuxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``agenttui run --env`` and ``[agents.NAME] env_from`` (the way to pass a key that must
    never sit in a file) reach the agent; the values stay out of the store and the log, and
    the run's 0600 env file is gone once the run succeeded."""
    gateway_key = "sk-gateway-only-in-the-environment"
    monkeypatch.setenv("GATEWAY_KEY", gateway_key)
    config = config_dir() / "config.toml"
    config.write_text('[agents.envdump]\nenv_from = ["GATEWAY_KEY"]\nenv = { MODE = "cfg" }\n')
    project = make_project(tmp_path)
    definition = tmp_path / "env-check.toml"
    definition.write_text(WORKFLOW)
    run_flag = "run-flag-value-1f3e"
    run_id = start_run(
        str(definition), "--issues", "PCL-101", "--repo", str(project.repo), "--source", "local",
        "--env", f"RUN_FLAG={run_flag}",
    )  # fmt: skip
    summary = wait_for_end(run_id, timeout=90)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    agent = environment(Path(summary["worktree"]) / "agent-env.txt")
    assert (agent["GATEWAY_KEY"], agent["MODE"], agent["RUN_FLAG"]) == (
        gateway_key,
        "cfg",
        run_flag,
    )
    shell = environment(Path(summary["worktree"]) / "shell-env.txt")
    assert "RUN_FLAG" not in shell  # --env is for the run's agents
    state = default_locations / ".local/state/agenttui"
    stored = (state / "agenttui.sqlite3").read_bytes() + (
        state / "runs" / f"{run_id}.log"
    ).read_bytes()
    assert run_flag.encode() not in stored and gateway_key.encode() not in stored
    assert not (state / "runs" / f"{run_id}.env").exists()
    assert RunStore().get(run_id).params["env"] == ["RUN_FLAG"]  # the name is kept, not the value
    assert "agents: agent: envdump (workflow 'env-check')" in agenttui("log", run_id).stdout


def test_a_missing_env_from_is_refused_before_the_run_starts(
    default_locations: Path, tmux_server: TmuxServer, tmp_path: Path
) -> None:
    (config_dir() / "config.toml").write_text('[agents.envdump]\nenv_from = ["NOT_EXPORTED"]\n')
    project = make_project(tmp_path)
    definition = tmp_path / "env-check.toml"
    definition.write_text(WORKFLOW)
    done = agenttui(
        "run", str(definition), "--issues", "PCL-101", "--repo", str(project.repo), check=False
    )
    assert done.returncode == 2
    assert "agent envdump takes NOT_EXPORTED from agenttui's environment (env_from)" in done.stderr
    assert agenttui("runs", "--json").stdout.strip() == "[]"


def test_a_workflow_gives_its_test_command_a_secret_it_names(
    default_locations: Path, tmux_server: TmuxServer, tmp_path: Path
) -> None:
    """``env_from = ["GITHUB_TOKEN"]`` in a workflow: its shell steps get that one (say, a test
    suite that calls GitHub), its agents still none; a malformed one is refused at its line."""
    project = make_project(tmp_path)
    definition = tmp_path / "env-check.toml"
    definition.write_text('env_from = ["GITHUB_TOKEN"]\n' + WORKFLOW)
    run_id = start_run(
        str(definition), "--issues", "PCL-101", "--repo", str(project.repo), "--source", "local"
    )
    summary = wait_for_end(run_id, timeout=90)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    shell = environment(Path(summary["worktree"]) / "shell-env.txt")
    assert shell["GITHUB_TOKEN"] == TOKEN and "LINEAR_API_KEY" not in shell
    assert "GITHUB_TOKEN" not in environment(Path(summary["worktree"]) / "agent-env.txt")
    definition.write_text('env_from = "GITHUB_TOKEN"\n' + WORKFLOW)
    refused = agenttui("workflows", "--check", str(definition), check=False)
    assert refused.returncode == 1
    assert f"{definition}:1: env_from must be a list of variable names" in refused.stderr
