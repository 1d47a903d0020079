"""Kill -9 the runner in the middle of an agent step, resume, and count what the agent got."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.support.cli import agenttui
from tests.support.git_repos import Project
from tests.support.github_server import GitHubServer
from tests.support.linear_server import LinearServer
from tests.support.profiles import slow_demo_profile
from tests.support.runs import prompts_received, run_summary, start_run, wait_for_end
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.runs.run_store import RunStore


@pytest.mark.parametrize("killed_while", ["submitted", "sending"])
def test_killed_runner_resumes_without_sending_a_prompt_twice(
    tmux_server: TmuxServer,
    linear_server: LinearServer,
    github: GitHubServer,
    project: Project,
    killed_while: str,
) -> None:
    agent = slow_demo_profile(3.0)
    run_id = start_run(
        "feedback",
        "--issues",
        "ENG-2",
        "--repo",
        str(project.repo),
        "--source",
        "linear",
        "--agent",
        agent,
        "--github-repo",
        "acme/widgets",
        "--test-command",
        "sh run_tests.sh",
    )
    store = RunStore()

    def plan_prompt_submitted() -> bool:
        return any(
            d.step_id == "plan" and d.status == "submitted" for d in store.deliveries(run_id)
        )

    wait_until(
        plan_prompt_submitted, timeout=120, interval=0.05, message="the plan prompt to be submitted"
    )
    worker_pid = store.get(run_id).worker_pid
    assert worker_pid
    os.kill(worker_pid, signal.SIGKILL)  # while the agent is still working on "plan"
    wait_until(
        lambda: run_summary(run_id)["status"] == "failed",
        timeout=30,
        message="the dead runner to show",
    )
    summary = run_summary(run_id)
    assert summary["current_step"] == "plan" and "stopped unexpectedly" in summary["error"]
    assert [a.step_id for a in store.attempts(run_id) if a.status == "running"] == ["plan"]
    if killed_while == "sending":
        # As if the runner died between recording the delivery and marking it sent.
        with store.store.transaction() as conn:
            conn.execute(
                "UPDATE run_deliveries SET status='sending' WHERE run_id=? AND step_id='plan'",
                (run_id,),
            )

    agenttui("resume", run_id)
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    assert len(github.pulls) == 1

    prompts = prompts_received(Path(summary["worktree"]))
    deliveries = store.deliveries(run_id)
    assert len(prompts) == len(deliveries) == 6
    assert len(set(prompts)) == 6  # no prompt delivered twice
    assert sum("plan the change" in prompt for prompt in prompts) == 1
    log = agenttui("log", run_id).stdout
    assert "not sending it again" in log and "resuming at step plan" in log
    how = "was delivered" if killed_while == "submitted" else "was being sent"
    assert f"prompt {how} to {run_id}-main before the runner stopped" in log


def test_resume_stops_the_command_a_killed_runner_left_running(
    tmux_server: TmuxServer, linear_server: LinearServer, github: GitHubServer, project: Project
) -> None:
    # First run of the tests: leave a marker and hang; the second run passes at once.
    command = "if [ -f .agenttui/ran ]; then exit 0; fi; echo $$ > .agenttui/ran; sleep 600"
    run_id = start_run(
        "quick-fix",
        "--issues",
        "ENG-3",
        "--repo",
        str(project.repo),
        "--source",
        "linear",
        "--agent",
        "demo",
        "--github-repo",
        "acme/widgets",
        "--test-command",
        command,
    )
    store = RunStore()

    def hanging_pid() -> int | None:
        worktree = store.get(run_id).context.get("worktree")
        marker = Path(worktree or "/nonexistent") / ".agenttui" / "ran"
        text = marker.read_text().strip() if marker.exists() else ""
        return int(text) if text else None

    pid = wait_until(hanging_pid, timeout=120, message="the test command to start")
    os.kill(store.get(run_id).worker_pid or 0, signal.SIGKILL)
    wait_until(
        lambda: run_summary(run_id)["status"] == "failed",
        timeout=30,
        message="the dead runner to show",
    )
    assert Path(f"/proc/{pid}").exists()  # the orphaned command still runs
    agenttui("resume", run_id)
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    wait_until(
        lambda: not Path(f"/proc/{pid}").exists() or "Z" in _state(pid),
        timeout=30,
        message="the leftover command to be stopped",
    )
    assert "stopped the command a previous runner left running" in agenttui("log", run_id).stdout


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
