"""The runner killed (SIGKILL) at each point of a prompt delivery: every prompt still reaches
its agent exactly once, counted where the demo agent records each prompt it takes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration import test_linear_agent_runs as linear_agent
from tests.support.cli import agenttui
from tests.support.git_repos import Project
from tests.support.linear_agent import app_activities, watch_once, write_config
from tests.support.linear_server import LinearServer
from tests.support.profiles import slow_demo_profile
from tests.support.runs import (
    kill_at,
    prompts_received,
    run_summary,
    start_and_kill_at,
    wait_for_end,
)
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.base.crashpoints import ENV as STOP_AT
from workflows.runs.run_store import RunStore

app = linear_agent.app  # fixture

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


@pytest.mark.parametrize(
    "point",
    [
        "followup-taken",
        "followup-delivery-recorded",
        "followup-delivery-pasted",
        "followup-delivery-submitted",
    ],
)
def test_a_follow_up_the_runner_died_delivering_reaches_the_agent_once_as_itself(
    app: LinearServer,
    tmux_server: TmuxServer,
    project: Project,
    monkeypatch: pytest.MonkeyPatch,
    point: str,
) -> None:
    """A person's message from the run's Linear session, queued for the agent, with the
    runner killed once it took the message, before its paste, before its Enter or after it
    (the agent done with it before the resume, which must not wait for good): the resumed
    runner sends that message (not the step's reminder, which was all it knew to send) and
    only once."""
    write_config(project, agent=slow_demo_profile(4.0))
    session = app.workspace.delegate("ENG-3")
    monkeypatch.setenv(STOP_AT, point)
    [launched] = watch_once(tmux_server)
    run_id = launched["run_id"]
    wait_until(lambda: app_activities(app, session["id"]), timeout=120, message="the run's session")
    app.workspace.prompt(session["id"], "Also mention the follow-up in DEMO_CHANGES.md")
    kill_at(point, run_id, monkeypatch)
    if point == "followup-delivery-submitted":  # the agent is done with it before the resume
        worktree = Path(run_summary(run_id)["worktree"])
        wait_until(
            lambda: any("Also mention" in p for p in prompts_received(worktree)),
            timeout=30,
            message="the agent taking the follow-up",
        )  # it works on it for 4 s; a runner without hooks to read must not wait for good
        agent = RunStore().deliveries(run_id)[-1].agent_name
        agenttui("--socket", tmux_server.socket, "wait", agent, "--state", "idle")
    agenttui("resume", run_id)
    summary = wait_for_end(run_id)
    log = agenttui("log", run_id).stdout
    assert summary["status"] == "succeeded", log
    prompts = prompts_received(Path(summary["worktree"]))
    followups = [p for p in prompts if "Also mention the follow-up" in p]
    assert len(followups) == 1 and followups[0].startswith("Follow-up from the Linear issue")
    assert not any(p.startswith("You have not written your answer") for p in prompts), prompts
    assert "follow-up from Linear delivered to" in log
