"""Offline, local issues get the same agent-session model in the store: a demo run's
activities (in order, its PR), the plan, and a person's stop written in the session."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.support.cli import agenttui
from tests.support.git_repos import Project
from tests.support.github_server import GitHubServer
from tests.support.profiles import slow_demo_profile
from tests.support.runs import start_run, wait_for_end
from tests.support.tmux import TmuxServer, private_target
from tests.support.waiting import wait_until
from tui.services import Services
from workflows.issues.linear_agent.local_backend import LocalSessions
from workflows.issues.linear_agent.settings import AgentSettings
from workflows.issues.local import LocalSource
from workflows.runs.run_store import RunStore

ISSUE = "PCL-101"


def session_stream() -> list[dict[str, object]]:
    return list(json.loads(agenttui("session", ISSUE, "--json").stdout))


def test_a_local_demo_run_streams_to_its_session_in_the_store(
    tmux_server: TmuxServer, github: GitHubServer, project: Project
) -> None:
    run_id = start_run(
        "quick-fix", "--issues", ISSUE, "--repo", str(project.repo), "--source", "local",
        "--agent", "demo", "--github-repo", "acme/widgets", "--test-command", "sh run_tests.sh",
    )  # fmt: skip
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    wait_until(
        lambda: any(
            entry["type"] == "response" and entry["status"] == "posted"
            for entry in session_stream()
        ),
        timeout=30,
        message="the final response in the store",
    )
    stream = session_stream()
    kinds = [(entry["type"], entry["text"].splitlines()[0]) for entry in stream]
    assert kinds[0] == ("thought", "**implement**: the agent works on it")
    assert ("action", "Ran tests sh run_tests.sh → passed") in kinds
    assert kinds[-1] == ("response", f"Pull request: {summary['pr_url']}")
    assert all(entry["status"] == "posted" for entry in stream)
    [session] = LocalSessions().sessions_of(ISSUE)
    assert session["status"] == "complete"
    assert [step["status"] for step in session["plan"]] == ["completed"] * 4
    assert session["external_urls"] == [{"label": "Pull request", "url": summary["pr_url"]}]
    # What the app's issue detail shows, and the CLI's stream, come from the same rows.
    issue = LocalSource().get_issue(ISSUE)
    assert Services(private_target()).issue_view(issue).session == stream
    printed = agenttui("session", ISSUE).stdout
    assert f"{run_id} response    Pull request: {summary['pr_url']}" in printed


def test_a_stop_written_in_a_local_session_cancels_the_run(
    tmux_server: TmuxServer, github: GitHubServer, project: Project
) -> None:
    agent = slow_demo_profile(60.0)
    run_id = start_run(
        "quick-fix", "--issues", ISSUE, "--repo", str(project.repo), "--source", "local",
        "--agent", agent, "--github-repo", "acme/widgets",
    )  # fmt: skip
    store = RunStore()
    wait_until(
        lambda: any(d.step_id == "implement" for d in store.deliveries(run_id)),
        timeout=120,
        message="the agent at work",
    )
    asked = time.monotonic()
    agenttui("session-prompt", ISSUE, "--stop")
    assert wait_for_end(run_id, timeout=60)["status"] == "cancelled"
    poll = AgentSettings().poll_active  # the default: no config in this test
    assert time.monotonic() - asked < poll + 3.0  # one poll, its tick, the step's notice
    wait_until(
        lambda: any(entry["type"] == "response" for entry in session_stream()),
        timeout=30,
        message="the final response",
    )
    assert str(session_stream()[-1]["text"]).startswith("Stopped as asked")


def test_a_follow_up_after_the_run_starts_a_fix_round_on_its_branch(
    tmux_server: TmuxServer, github: GitHubServer, project: Project
) -> None:
    from tests.support.runs import prompts_received
    from workflows.runs.agent_sessions.finished import poll_finished

    first = start_run(
        "quick-fix", "--issues", ISSUE, "--repo", str(project.repo), "--source", "local",
        "--agent", "demo", "--github-repo", "acme/widgets", "--test-command", "sh run_tests.sh",
    )  # fmt: skip
    done = wait_for_end(first)
    assert done["status"] == "succeeded", agenttui("log", first).stdout
    agenttui("session-prompt", ISSUE, "Please also rename the helper")
    [handled] = poll_finished(target=tmux_server.target)
    assert handled.outcome.startswith(f"follow-up after run {first} ended: started run ")
    second = handled.outcome.rsplit(" ", 1)[-1]
    assert poll_finished(target=tmux_server.target) == []  # once
    again = wait_for_end(second)
    assert again["status"] == "succeeded", agenttui("log", second).stdout
    assert again["branch"] == done["branch"] and again["pr_url"] == done["pr_url"]
    assert len(github.pulls) == 1  # the open PR of the branch, updated
    asked = [p for p in prompts_received(Path(again["worktree"])) if "rename the helper" in p]
    assert len(asked) == 1 and "a person wrote this on the issue" in asked[0]
    [session] = LocalSessions().sessions_of(ISSUE)  # the same session, told the fix round
    responses = [a for a in session["activities"] if a["type"] == "response"]
    assert len(responses) == 2
