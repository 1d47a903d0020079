"""A run's agent is its name, run, launch token and tmux server, never a pane id alone.

After a tmux restart pane ids start again at %0: the id a run recorded for its agent may
then be another run's agent. Resuming must never adopt that pane: the lost agent's step
starts again with a new agent, and the other run's agent never hears from this run.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import agenttui
from tests.support.git_repos import Project
from tests.support.linear_agent import ASK_WORKFLOW
from tests.support.linear_server import LinearServer
from tests.support.profiles import slow_demo_profile
from tests.support.runs import prompts_received, run_summary, start_run, wait_for_end
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.base.paths import config_dir
from workflows.forge.git import worktree_root
from workflows.issues.linear_agent.local_backend import LocalSessions
from workflows.runs.agent_sessions.inbox import Inbox
from workflows.runs.run_agents import records
from workflows.runs.run_store import RunStore

TWO_STEPS = """
name = "two-steps"

[[steps]]
id = "plan"
prompt = "Plan the change for {issue_ids}. Write your answer to the file: {output}"
output = ".agenttui/plan.md"

[[steps]]
id = "implement"
prompt = "Implement the plan for {issue_ids}. Write your answer to the file: {output}"
output = ".agenttui/implement.md"
"""


def launch(definition: Path, repo: Path, issue: str, agent: str) -> str:
    return start_run(
        str(definition), "--issues", issue, "--repo", str(repo), "--source", "linear",
        "--agent", agent,
    )  # fmt: skip


def slow_two_step_run(tmp_path: Path, project: Project) -> tuple[str, str]:
    """A run of TWO_STEPS on ENG-1 by a slow demo agent; (its id, the plan's pane) once
    the plan prompt is submitted."""
    definition = tmp_path / "two-steps.toml"
    definition.write_text(TWO_STEPS)
    run_id = launch(definition, project.repo, "ENG-1", slow_demo_profile(6.0))
    pane = wait_until(lambda: plan_submitted(run_id), timeout=90, message="the plan prompt")
    return run_id, pane


def plan_submitted(run_id: str) -> str | None:
    """The pane the run's plan prompt was submitted to, once it was."""
    for delivery in RunStore().deliveries(run_id):
        if delivery.step_id == "plan" and delivery.status == "submitted":
            return delivery.pane_id
    return None


def test_resume_after_a_tmux_restart_never_adopts_another_runs_agent(
    tmux_server: TmuxServer,
    linear_server: LinearServer,
    project: Project,
    tmp_path: Path,
) -> None:
    run_a, a_pane = slow_two_step_run(tmp_path, project)
    server_before = tmux_server.cmd("display-message", "-p", "#{pid}").strip()

    tmux_server.cmd("kill-server")  # A's runner and agent go with it
    wait_until(lambda: run_summary(run_a)["status"] == "failed", timeout=30, message="A to stop")
    said = run_summary(run_a)["error"]  # as what it is, not "stopped by signal SIGHUP"
    assert said.startswith(f"step 'plan': the tmux server the run worked in (pid {server_before}")
    assert "is gone (it crashed or was stopped)" in said and f"resume {run_a}" in said
    run_b = launch(
        tmp_path / "two-steps.toml", project.repo, "ENG-2", "slowdemo"
    )  # a new server: ids from %0 again
    b_pane = wait_until(lambda: plan_submitted(run_b), timeout=90, message="B's plan prompt")
    assert b_pane == a_pane  # B's agent now holds the pane id A recorded for its own
    assert tmux_server.cmd("display-message", "-p", "#{pid}").strip() != server_before

    agenttui("resume", run_a)
    summary_a = wait_for_end(run_a, timeout=180)
    log_a = agenttui("log", run_a).stdout
    assert summary_a["status"] == "succeeded", log_a
    summary_b = wait_for_end(run_b, timeout=180)
    assert summary_b["status"] == "succeeded", agenttui("log", run_b).stdout

    # B's agent got B's two prompts and nothing from A (no reminder, no path of A's).
    b_prompts = prompts_received(Path(summary_b["worktree"]))
    assert [p.split(" for ")[1][:5] for p in b_prompts] == ["ENG-2", "ENG-2"]
    assert not any(summary_a["worktree"] in p for p in b_prompts)
    # A said why, started plan again with a new agent of its own, and told the issue.
    assert "the tmux server was restarted since this run last ran" in log_a
    assert f"agent {run_a}-main ({a_pane}) is gone: the tmux server was restarted" in log_a
    assert "starting step 'plan' again with a new agent" in log_a
    deliveries = RunStore().deliveries(run_a)
    assert [(d.step_id, d.status) for d in deliveries] == [
        ("plan", "lost"),
        ("plan", "submitted"),
        ("implement", "submitted"),
    ]
    old, new = records(RunStore(), run_a, f"{run_a}-main")
    assert deliveries[1].pane_id == new.pane_id != a_pane and old.server != new.server
    (comment,) = linear_server.workspace.comments_on("ENG-1")
    assert f"agenttui run {run_a}: the agent working on step 'plan'" in comment
    assert "starts again with a new agent" in comment
    assert linear_server.workspace.comments_on("ENG-2") == []
    a_prompts = prompts_received(Path(summary_a["worktree"]))  # both of A's agents
    assert [p.split(" for ")[0] for p in a_prompts] == [
        "Plan the change",  # to the agent lost with the server
        "Plan the change",  # to its replacement
        "Implement the plan",
    ]


def test_an_agent_that_dies_mid_step_is_replaced_and_the_run_goes_on(
    tmux_server: TmuxServer, linear_server: LinearServer, project: Project, tmp_path: Path
) -> None:
    run_id, pane = slow_two_step_run(tmp_path, project)
    pid = tmux_server.cmd("display-message", "-p", "-t", pane, "#{pane_pid}").strip()
    os.kill(int(pid), signal.SIGKILL)  # the agent dies mid-turn; the runner lives on

    summary = wait_for_end(run_id, timeout=180)
    log = agenttui("log", run_id).stdout
    assert summary["status"] == "succeeded", log
    assert f"agent {run_id}-main ({pane}) is gone: it exited during the step" in log
    assert f"closing the dead pane of {run_id}-main ({pane})" in log
    panes = tmux_server.cmd("list-panes", "-a", "-F", "#{pane_id}").split()
    assert pane not in panes  # the dead pane was closed (its last screen is in the log)
    statuses = [(d.step_id, d.status) for d in RunStore().deliveries(run_id)]
    assert statuses == [("plan", "lost"), ("plan", "submitted"), ("implement", "submitted")]
    (comment,) = linear_server.workspace.comments_on("ENG-1")
    assert "was lost: it exited during the step (killed by SIGKILL)" in comment


def test_a_pane_holding_an_agents_name_without_its_token_is_refused_not_adopted(
    tmux_server: TmuxServer, linear_server: LinearServer, project: Project, tmp_path: Path
) -> None:
    run_id, _ = slow_two_step_run(tmp_path, project)
    os.kill(RunStore().get(run_id).worker_pid or 0, signal.SIGKILL)
    agenttui("kill", f"{run_id}-main")
    wait_until(lambda: run_summary(run_id)["status"] == "failed", timeout=30, message="A to stop")
    # Someone starts a pane under the agent's name (by hand, or another tool).
    agenttui("spawn", "--agent", "demo", "--name", f"{run_id}-main", "--cwd", str(tmp_path))

    agenttui("resume", run_id)
    summary = wait_for_end(run_id, timeout=120)
    assert summary["status"] == "failed"
    assert f"a pane named {run_id}-main" in summary["error"]
    assert "not an agent this run started (its launch token is missing)" in summary["error"]
    assert not (tmp_path / ".demo-agent" / "prompts.jsonl").exists()  # it got nothing
    names = tmux_server.cmd("list-panes", "-a", "-F", "#{@agenttui_name}").split()
    assert f"{run_id}-main" in names  # and it was left alone


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 4 MB tmpfs mounted where a new user's worktrees go (the default worktree root,
    nothing configured), to fill up (mounting needs root: the test machine's tests run as
    root)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = worktree_root()
    mount.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb") as out, contextlib.suppress(OSError):
        while True:
            out.write(b"\0" * 65536)
    return filler


def test_a_full_worktree_disk_fails_the_step_and_the_run_resumes_once_there_is_room(
    tmux_server: TmuxServer,
    linear_server: LinearServer,
    project: Project,
    tmp_path: Path,
    small_disk: Path,
) -> None:
    run_id, _ = slow_two_step_run(tmp_path, project)
    filler = fill(small_disk)  # the agent cannot write its answer: it crashes, and so do
    summary = wait_for_end(run_id, timeout=180)  # the new agents that replace it
    log = agenttui("log", run_id).stdout
    assert summary["status"] == "failed", log
    assert "its agent was lost 3 times" in summary["error"] and "exit status 1" in summary["error"]
    assert "No space left on device" in log  # the dead agents' last screens say why
    assert log.count("restart [plan]") == 2  # then the third loss failed the step
    assert len(linear_server.workspace.comments_on("ENG-1")) == 1  # one story, told once

    prompts = resume_with_room(run_id, filler)
    assert prompts[-2:] == ["Plan the change", "Implement the plan"]


def test_a_worktree_root_full_at_the_start_fails_the_run_and_it_resumes_once_there_is_room(
    tmux_server: TmuxServer,
    linear_server: LinearServer,
    project: Project,
    tmp_path: Path,
    small_disk: Path,
) -> None:
    filler = fill(small_disk)  # the worktree cannot even be checked out
    definition = tmp_path / "two-steps.toml"
    definition.write_text(TWO_STEPS)
    run_id = launch(definition, project.repo, "ENG-1", "demo")
    summary = wait_for_end(run_id, timeout=120)
    assert summary["status"] == "failed", agenttui("log", run_id).stdout
    assert "No space left on device" in summary["error"]

    assert resume_with_room(run_id, filler) == ["Plan the change", "Implement the plan"]


def resume_with_room(run_id: str, filler: Path) -> list[str]:
    """Free the disk and resume the run; the prompts its agents took (their first words)."""
    filler.unlink()
    agenttui("resume", run_id)
    summary = wait_for_end(run_id, timeout=180)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    return [p.split(" for ")[0] for p in prompts_received(Path(summary["worktree"]))]


def test_an_answer_from_a_runs_session_never_reaches_another_runs_agent_with_its_pane_id(
    tmux_server: TmuxServer, project: Project, tmp_path: Path
) -> None:
    """Run A's agent waits for an approval; A's runner and then the tmux server die. On the
    new server another agent, waiting for an approval of its own, gets the pane id A
    recorded. An "approve" written in A's session is refused, never given to it."""
    (config_dir() / "workflows").mkdir(parents=True, exist_ok=True)
    (config_dir() / "workflows" / "ask.toml").write_text(ASK_WORKFLOW)
    run_id = start_run(
        "ask", "--issues", "PCL-101", "--repo", str(project.repo), "--source", "local",
        "--agent", "demo",
    )  # fmt: skip
    wait_until(lambda: run_summary(run_id)["attention"], timeout=120, message="A's approval")
    [asked] = [e for e in RunStore().events(run_id) if e["kind"] == "attention"][-1:]
    a_pane = asked["data"]["pane"]
    os.kill(RunStore().get(run_id).worker_pid or 0, signal.SIGKILL)
    tmux_server.cmd("kill-server")

    stranger = None
    for number in range(1, 6):  # new panes until one has A's id (ids start again at %0)
        stranger = json.loads(
            agenttui(
                "spawn", "--agent", "demo", "--name", f"other-{number}", "--cwd", str(tmp_path),
                "--prompt", "Please run command `echo pwned > pwned.txt` and report.", "--json",
            ).stdout
        )  # fmt: skip
        if stranger["pane"] == a_pane:
            break
    assert stranger is not None and stranger["pane"] == a_pane
    agenttui("wait", a_pane, "--state", "awaiting_approval", "--timeout", "60")

    agenttui("session-prompt", "PCL-101", "approve")
    inbox = Inbox(LocalSessions(), target=tmux_server.target)
    [handled] = inbox.poll_run(run_id)
    assert handled.outcome.startswith(f"not done: the agent of run {run_id} that asked is gone")
    assert "the tmux server was restarted since it started" in handled.outcome
    time.sleep(2)
    assert not (tmp_path / "pwned.txt").exists()  # the other agent's approval still waits
    assert "approval" in agenttui("read", a_pane).stdout
