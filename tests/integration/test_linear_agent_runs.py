"""agenttui as an agent in Linear, end to end on the local Linear server: a delegated issue
launches a run (the watcher), the run reports to the session Linear opened (activities in
order, once each even across a runner kill and resume; the PR as external URL), a follow-up
reaches the agent exactly once, the stop signal cancels the run within one poll.

Real parts: the schema-validating Linear server (app token, actor=app), the watcher, runners
in a private tmux server, the demo agent, a git project and the GitHub stand-in."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import agenttui
from tests.support.git_repos import Project
from tests.support.github_server import GitHubServer
from tests.support.linear_agent import (
    ASK_WORKFLOW,
    POLL_S,
    app_activities,
    watch_once,
    write_config,
)
from tests.support.linear_server import LinearServer
from tests.support.profiles import slow_demo_profile
from tests.support.runs import prompts_received, run_summary, start_run, wait_for_end
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.runs.run_store import RunStore


@pytest.fixture
def app(
    monkeypatch: pytest.MonkeyPatch,
    tmux_server: TmuxServer,
    linear_server: LinearServer,
    github: GitHubServer,
    project: Project,
) -> LinearServer:
    """The app installed (its token in the environment) and a watcher config that picks
    what was handed to it."""
    monkeypatch.setenv("LINEAR_APP_TOKEN", linear_server.app_token)
    write_config(project, agent="demo")
    return linear_server


def told(content: dict[str, Any]) -> str:
    if content["type"] == "action":
        return f"action: {content['action']} {content['parameter']}"
    return f"{content['type']}: {content['body']}"


def test_a_delegated_issue_runs_and_is_told_once_across_a_runner_kill(
    app: LinearServer, tmux_server: TmuxServer, github: GitHubServer, project: Project
) -> None:
    write_config(project, agent=slow_demo_profile(3.0))
    session = app.workspace.delegate("ENG-2")
    app.workspace.add_issue("Not for the app", identifier="ENG-99")  # not delegated

    [launched] = watch_once(tmux_server)
    assert launched["issues"] == ["ENG-2"]
    run_id = launched["run_id"]
    store = RunStore()
    wait_until(
        lambda: any(d.step_id == "implement" for d in store.deliveries(run_id)),
        timeout=120,
        message="the implement prompt",
    )
    wait_until(lambda: app_activities(app, session["id"]), timeout=30, message="a first activity")
    os.kill(store.get(run_id).worker_pid or 0, signal.SIGKILL)  # mid-implement
    wait_until(lambda: run_summary(run_id)["status"] == "failed", timeout=30, message="dead")
    agenttui("resume", run_id)
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    pr_url = summary["pr_url"]
    wait_until(
        lambda: [a for a in app_activities(app, session["id"]) if a["type"] == "response"],
        timeout=30,
        message="the final response",
    )

    assert len(app.workspace.sessions_on("ENG-2")) == 1  # Linear's session, adopted
    stream = [told(a) for a in app_activities(app, session["id"])]
    assert len(stream) == len(set(stream)), stream  # nothing told twice
    assert stream[0].startswith("thought: **implement**")
    assert stream[-1].startswith(f"response: Pull request: {pr_url}")
    order = [
        next(i for i, line in enumerate(stream) if line.startswith(prefix))
        for prefix in ("thought: **implement**", "thought: **test**", "action: Ran tests",
                       "action: Opened pull request", "response:")
    ]  # fmt: skip
    assert order == sorted(order), stream
    sent = [r.variables["input"]["id"] for r in app.mutations("agentActivityCreate")]
    assert len(sent) == len(set(sent)) == len(stream)  # each posted by exactly one request
    row = app.workspace.agent_sessions[session["id"]]
    assert row["externalLinks"] == [{"label": "Pull request", "url": pr_url}]
    assert [step["status"] for step in row["plan"]] == ["completed"] * 4
    assert row["status"] == "complete"
    assert "ENG-99" not in str(RunStore().all_runs())


def test_a_follow_up_reaches_the_agent_exactly_once(
    app: LinearServer, tmux_server: TmuxServer, project: Project
) -> None:
    write_config(project, agent=slow_demo_profile(4.0))
    session = app.workspace.delegate("ENG-3")
    [launched] = watch_once(tmux_server)
    run_id = launched["run_id"]
    wait_until(lambda: app_activities(app, session["id"]), timeout=120, message="the run's session")
    app.workspace.prompt(session["id"], "Also mention the follow-up in DEMO_CHANGES.md")
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    prompts = prompts_received(Path(summary["worktree"]))
    followups = [p for p in prompts if "Also mention the follow-up" in p]
    assert len(followups) == 1, prompts
    assert followups[0].startswith("Follow-up from the Linear issue")
    stream = [told(a) for a in app_activities(app, session["id"])]
    assert any("follow-up from Linear delivered to" in line for line in stream), stream


def test_the_stop_signal_cancels_the_run_within_one_poll(
    app: LinearServer, tmux_server: TmuxServer, project: Project
) -> None:
    write_config(project, agent=slow_demo_profile(60.0))
    session = app.workspace.delegate("ENG-4")
    [launched] = watch_once(tmux_server)
    run_id = launched["run_id"]
    store = RunStore()
    wait_until(
        lambda: any(d.step_id == "implement" for d in store.deliveries(run_id)),
        timeout=120,
        message="the agent at work",
    )
    asked = time.monotonic()
    app.workspace.prompt(session["id"], "stop", signal="stop")
    wait_until(lambda: store.get(run_id).status == "cancelled", timeout=30, message="the cancel")
    took = time.monotonic() - asked
    assert took <= POLL_S + 2.0, f"cancelled {took:.1f}s after the stop (poll every {POLL_S}s)"
    wait_until(
        lambda: [a for a in app_activities(app, session["id"]) if a["type"] == "response"],
        timeout=30,
        message="the final response",
    )
    last = app_activities(app, session["id"])[-1]
    assert last["type"] == "response" and last["body"].startswith("Stopped as asked")


@pytest.mark.parametrize(
    "answers", [["Approve."], ["No"], ["Also note it in the output", "yes"]], ids=str
)
def test_an_answer_to_an_elicitation_approves_or_denies_the_waiting_agent(
    app: LinearServer, tmux_server: TmuxServer, project: Project, answers: list[str]
) -> None:
    """approve/deny decide the dialog; anything else, written to an approval dialog, is never
    typed into it: it waits for the agent's turn's end (after the decision), then is sent."""
    from workflows.base.paths import config_dir

    (config_dir() / "workflows").mkdir(parents=True, exist_ok=True)
    (config_dir() / "workflows" / "ask.toml").write_text(ASK_WORKFLOW)
    session = app.workspace.delegate("ENG-5")
    run_id = start_run("ask", "--issues", "ENG-5", "--source", "linear")
    elicitation = wait_until(
        lambda: [a for a in app_activities(app, session["id"]) if a["type"] == "elicitation"],
        timeout=120,
        message="the agent's approval asked on Linear",
    )
    assert "echo approved-on-linear > approved.txt" in elicitation[0]["body"]
    assert app.workspace.agent_sessions[session["id"]]["status"] == "awaitingInput"
    *first, last = answers
    for message in first:  # not a decision: queued, the dialog left as it is
        app.workspace.prompt(session["id"], message)
        wait_until(
            lambda: any("queued" in told(a) for a in app_activities(app, session["id"])),
            timeout=60,
            message="the message queued",
        )
    app.workspace.prompt(session["id"], last)
    summary = wait_for_end(run_id, timeout=120)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    worktree = Path(summary["worktree"])
    stream = [told(a) for a in app_activities(app, session["id"])]
    if answers == ["No"]:
        assert not (worktree / "approved.txt").exists()
        decided = [line for line in stream if line.startswith("action: Your message ENG-5:")]
        assert decided and "denied on Linear: deny" in decided[0], stream
    else:
        assert (worktree / "approved.txt").read_text() == "approved-on-linear\n"
        answered = "action: Your message ENG-5: approved on Linear: approve"
        approved = [line for line in stream if line.startswith(answered)]
        assert approved, stream
        decided_in_audit = "action: Approval (Bash) echo approved-on-linear > approved.txt"
        assert stream.index(told(elicitation[0])) < stream.index(decided_in_audit)
        assert stream.index(told(elicitation[0])) < stream.index(approved[0])
    prompts = prompts_received(worktree)
    if len(answers) > 1:
        queued = [line for line in stream if "queued for the run's current agent" in line]
        assert queued, stream
        notes = [p for p in prompts if "Also note it in the output" in p]
        assert len(notes) == 1 and notes[0].startswith("Follow-up from the Linear issue"), prompts
    assert not any(answer in prompts for answer in answers)  # never typed as a prompt
    assert stream[-1].startswith("response: ")
