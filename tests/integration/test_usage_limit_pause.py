"""A demo agent that hits its usage limit (Claude Code's message, a short reset) pauses the run:
`runs` says `paused until HH:MM` and why, the profile reads as limited, and after the reset the
agent gets one continue prompt and the run goes on to the end, even across a killed runner."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.support.cli import agenttui
from tests.support.environment import write_config
from tests.support.git_repos import Project
from tests.support.linear_server import LinearServer
from tests.support.runs import (
    prompts_received,
    run_summary,
    start_and_kill_at,
    start_run,
    wait_for_end,
)
from tests.support.waiting import wait_until
from workflows.agents.usage_limits import limited, record_limit
from workflows.base.store import Store
from workflows.runs.run_store import RunStore
from workflows.runs.steps.usage_limit import CONTINUE

RESET_S = 6
WORKFLOW = f"""
name = "limited"
agent = "demo"

[[steps]]
id = "implement"
prompt = "Implement the change. [usage-limit {RESET_S}s]"
output = ".agenttui/implement.md"

[[steps]]
id = "check"
prompt = "Check the change."
output = ".agenttui/check.md"
"""


@pytest.fixture
def definition(tmp_path: Path) -> Path:
    write_config("[usage_limits]\nmargin_s = 1\n")
    path = tmp_path / "limited.toml"
    path.write_text(WORKFLOW, encoding="utf-8")
    return path


@pytest.mark.usefixtures("tmux_server", "github")
def test_a_usage_limit_pauses_the_run_until_the_reset_then_it_continues_once(
    linear_server: LinearServer, project: Project, definition: Path
) -> None:
    started = time.time()
    run_id = start_run(
        str(definition), "--issues", "ENG-1", "--repo", str(project.repo), "--source", "linear"
    )
    paused = wait_until(
        lambda: (run := run_summary(run_id))["paused_until"] and run,
        timeout=120,
        message="the run to pause",
    )
    until = paused["paused_until"]
    assert started + RESET_S < until <= time.time() + RESET_S + 2  # the shown reset + margin
    assert paused["status"] == "running" and paused["current_step"] == "implement"
    assert "hit its usage limit (You've hit your session limit · resets" in paused["paused_reason"]
    assert paused["attention"] is None  # nobody needs to do anything
    clock = time.strftime("%H:%M", time.localtime(until))
    listed = agenttui("runs").stdout
    assert f"paused until {clock}" in listed
    assert limited(Store(), "demo") is not None  # the watcher launches nothing with it
    assert (
        f"paused until {time.strftime('%H:%M:%S', time.localtime(until))}"
        in agenttui("log", run_id).stdout
    )

    summary = wait_for_end(run_id, timeout=180)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    assert summary["paused_until"] is None
    deliveries = RunStore().deliveries(run_id)
    assert [d.kind for d in deliveries] == ["prompt", "continue", "prompt"]
    assert deliveries[1].created_at >= until  # not before the reset
    prompts = prompts_received(Path(summary["worktree"]))
    assert [p.startswith("Implement the change.") for p in prompts] == [True, False, False]
    assert prompts[1:] == [CONTINUE, prompts[2]] and prompts[2].startswith("Check the change.")
    assert (
        "wrote .agenttui/implement.md" in "".join(prompts)
        or (Path(summary["worktree"]) / ".agenttui" / "implement.md").is_file()
    )
    log = json.loads(agenttui("log", run_id, "--json").stdout)
    assert [e["kind"] for e in log if e["kind"] in ("paused", "resumed")] == ["paused", "resumed"]
    cost = agenttui("cost").stdout  # the demo agent has no model: no tokens, said as such
    assert cost == "no tokens recorded yet (Claude Code and Codex agents of runs are counted)\n"
    print(f"\n$ agenttui runs  (paused)\n{listed}\n$ agenttui cost\n{cost}")


@pytest.mark.usefixtures("tmux_server", "github", "linear_server")
def test_a_runner_killed_while_sending_the_continue_prompt_never_sends_it_twice(
    project: Project, definition: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = start_and_kill_at("continue-delivery-pasted", definition, project, monkeypatch)
    assert agenttui("resume", run_id, "--json").returncode == 0
    summary = wait_for_end(run_id, timeout=180)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    prompts = prompts_received(Path(summary["worktree"]))
    assert prompts.count(CONTINUE) == 1 and len(prompts) == 3
    assert "not pasting it again" in agenttui("log", run_id).stdout


@pytest.mark.usefixtures("tmux_server", "github", "linear_server")
def test_a_step_waits_for_a_limit_another_run_found_before_sending_its_prompt(
    project: Project, tmp_path: Path
) -> None:
    definition = tmp_path / "plain.toml"
    definition.write_text(WORKFLOW.replace(f" [usage-limit {RESET_S}s]", ""), encoding="utf-8")
    until = time.time() + RESET_S
    record_limit(Store(), "demo", until, "You've hit your session limit · resets 4am")
    run_id = start_run(
        str(definition), "--issues", "ENG-1", "--repo", str(project.repo), "--source", "linear"
    )
    paused = wait_until(
        lambda: (run := run_summary(run_id))["paused_until"] and run,
        timeout=120,
        message="the run to wait for the limit",
    )
    assert paused["paused_until"] == until
    assert paused["paused_reason"] == (
        f"{run_id}-main waits: profile demo is at its usage limit "
        "(You've hit your session limit · resets 4am)"
    )
    assert RunStore().deliveries(run_id) == []  # no request spent on the limit meanwhile
    summary = wait_for_end(run_id, timeout=180)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    deliveries = RunStore().deliveries(run_id)
    assert [d.kind for d in deliveries] == ["prompt", "prompt"]  # no continue: none was cut off
    assert deliveries[0].created_at >= until
