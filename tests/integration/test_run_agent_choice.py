"""A run's per-step agent choice reaches its panes: ``--agent review=NAME`` picks the reviewer
alone, ``[workflows.agents]`` in config.toml does the same, and the command line wins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import agenttui
from tests.support.git_repos import make_project
from tests.support.runs import start_run, wait_for_end
from tests.support.tmux import TmuxServer
from workflows.agents.profiles import BUILTIN_DIR
from workflows.base.paths import config_dir

WORKFLOW = """
name = "two-agents"
agent = "claude"

[[steps]]
id = "implement"
prompt = "Implement {issue_ids}. [work 0.2s]"
output = ".agenttui/implement.md"

[[steps]]
id = "review"
session = "reviewer"
prompt = "Review it. Say VERDICT: PASS [work 0.2s]"
output = ".agenttui/review.md"
until = "VERDICT: PASS"
"""


@pytest.fixture
def two_demo_profiles() -> None:
    """``demo`` and a copy named ``reviewer-demo`` (so the panes say which one ran)."""
    profiles = config_dir() / "profiles"
    profiles.mkdir(parents=True)
    builtin = (BUILTIN_DIR / "demo.toml").read_text()
    (profiles / "reviewer-demo.toml").write_text(builtin.replace('name = "demo"', ""))
    (config_dir() / "config.toml").write_text("[workflows]\nkeep_agents = true\n")


def agents_of(run_id: str) -> dict[str, str]:
    panes = json.loads(agenttui("ls", "--json").stdout)
    return {
        p["name"]: p["agent"] for p in panes if p["name"].startswith(run_id + "-") and p["agent"]
    }


def run(tmp_path: Path, *agent_flags: str) -> str:
    root = tmp_path / f"p{len(list(tmp_path.iterdir()))}"
    root.mkdir()
    project = make_project(root)
    definition = tmp_path / "two-agents.toml"
    definition.write_text(WORKFLOW)
    run_id = start_run(
        str(definition), "--issues", "PCL-101", "--repo", str(project.repo), *agent_flags
    )
    summary = wait_for_end(run_id, timeout=120)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    return run_id


@pytest.mark.usefixtures("two_demo_profiles")
def test_per_step_agent_from_the_command_line_and_from_config(
    tmux_server: TmuxServer, tmp_path: Path
) -> None:
    first = run(tmp_path, "--agent", "demo", "--agent", "review=reviewer-demo")
    assert agents_of(first) == {
        f"{first}-main": "demo",
        f"{first}-reviewer": "reviewer-demo",
    }
    with (config_dir() / "config.toml").open("a") as config:
        config.write('agent = "demo"\n\n[workflows.agents]\nreviewer = "reviewer-demo"\n')
    second = run(tmp_path)
    assert agents_of(second)[f"{second}-reviewer"] == "reviewer-demo"
    assert agents_of(second)[f"{second}-main"] == "demo"
    third = run(tmp_path, "--agent", "review=demo")  # the command line wins over config
    assert agents_of(third)[f"{third}-reviewer"] == "demo"
    log = agenttui("log", second).stdout
    assert "review: reviewer-demo (" in log and "[workflows.agents] reviewer)" in log
