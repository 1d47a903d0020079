"""The runner killed (SIGKILL) at each point of a prompt delivery: every prompt still reaches
its agent exactly once, counted where the demo agent records each prompt it takes."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests import run_fixtures
from tests.git_repos import Project
from tests.helpers import wait_until
from tests.run_fixtures import agenttui, prompts_received, run_summary, start_run, wait_for_end
from workflows.crashpoints import ENV as STOP_AT
from workflows.paths import state_dir
from workflows.runs import RunStore

github, project = run_fixtures.github, run_fixtures.project  # fixtures

TWO_STEPS = """
name = "two-steps"
agent = "demo"

[[steps]]
id = "plan"
prompt = '''Plan the change for {issue_ids}.
Keep it short.
Write your answer to the file: {output}'''
output = ".agenttui/plan.md"

[[steps]]
id = "implement"
prompt = "Implement what the plan says for {issue_ids}. Write your answer to the file: {output}"
output = ".agenttui/implement.md"
"""


def start_and_kill_at(
    point: str, definition: Path, project: Project, monkey: pytest.MonkeyPatch, *extra: str
) -> str:
    """Start a run on ENG-1 that holds its runner at ``point``; SIGKILL it there."""
    monkey.setenv(STOP_AT, point)
    run_id = start_run(
        str(definition), "--issues", "ENG-1", "--repo", str(project.repo), "--source", "linear",
        *extra,
    )  # fmt: skip
    marker = state_dir() / "crashpoints" / point

    def runner_held() -> int | None:
        text = marker.read_text() if marker.exists() else ""
        return int(text) if text else None

    pid = wait_until(runner_held, timeout=90, interval=0.05, message=f"the runner at {point}")
    assert pid == RunStore().get(run_id).worker_pid
    os.kill(pid, signal.SIGKILL)
    wait_until(
        lambda: run_summary(run_id)["status"] == "failed", timeout=30, message="the dead runner"
    )
    monkey.delenv(STOP_AT)
    return run_id


@pytest.mark.parametrize(
    ("point", "said"),
    [
        ("delivery-recorded", "was recorded but never reached"),
        ("delivery-pasted-unmarked", "was typed into"),
        ("delivery-pasted", "was typed into"),
        ("delivery-entered", "was being sent to"),
        ("delivery-submitted", "was delivered to"),
    ],
)
@pytest.mark.usefixtures("tmux_server", "linear_server")
def test_runner_killed_at_each_point_of_a_delivery_delivers_exactly_once(
    project: Project,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    point: str,
    said: str,
) -> None:
    definition = tmp_path / "two-steps.toml"
    definition.write_text(TWO_STEPS)
    run_id = start_and_kill_at(point, definition, project, monkeypatch)
    store = RunStore()
    (delivery,) = store.deliveries(run_id)  # the plan prompt's, left as the kill found it

    agenttui("resume", run_id)
    summary = wait_for_end(run_id, timeout=120)
    log = agenttui("log", run_id).stdout
    assert summary["status"] == "succeeded", log
    prompts = prompts_received(Path(summary["worktree"]))
    assert [p.split("\n")[0].split(" for ")[0] for p in prompts] == [
        "Plan the change",
        "Implement what the plan says",
    ]  # each prompt once, in order, and no reminder
    assert f"prompt {said}" in log
    assert [d.status for d in store.deliveries(run_id)][-2:] == ["submitted", "submitted"]
    assert delivery.step_id == "plan"
