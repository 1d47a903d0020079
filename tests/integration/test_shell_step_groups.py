"""A shell step's command outlives a SIGKILLed runner: the resumed runner stops it, and waits
until it is gone, before the step runs again; a command the store never knew of never runs."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.support.cli import agenttui
from tests.support.git_repos import Project
from tests.support.runs import (
    SLOW_TO_STOP,
    kill_at,
    one_shell_step,
    run_summary,
    start_run,
    trace_lines,
    wait_for_end,
)
from tests.support.waiting import wait_until
from workflows.base.crashpoints import ENV as STOP_AT
from workflows.runs.run_store import RunStore


@pytest.mark.usefixtures("tmux_server", "linear_server", "github")
def test_resume_waits_until_the_killed_runners_command_is_gone_before_running_it_again(
    project: Project, tmp_path: Path
) -> None:
    trace = tmp_path / "trace"
    definition = one_shell_step(tmp_path, SLOW_TO_STOP.format(trace=trace))
    run_id = start_run(
        str(definition), "--issues", "ENG-1", "--repo", str(project.repo), "--source", "linear"
    )
    wait_until(lambda: trace_lines(trace), timeout=120, message="the command to start")
    first_pid = int(trace_lines(trace)[0][1])
    os.kill(RunStore().get(run_id).worker_pid or 0, signal.SIGKILL)
    wait_until(
        lambda: run_summary(run_id)["status"] == "failed", timeout=30, message="the dead runner"
    )
    assert Path(f"/proc/{first_pid}").exists()  # the orphaned command still runs

    agenttui("resume", run_id)
    summary = wait_for_end(run_id)
    log = agenttui("log", run_id).stdout
    assert summary["status"] == "succeeded", log
    lines = trace_lines(trace)
    # The first command ended (its clean-up done) before the second one started.
    assert [line[0] for line in lines] == ["start", "end", "start"], lines
    assert lines[0][1] == lines[1][1] == str(first_pid) != lines[2][1]
    assert float(lines[1][2]) <= float(lines[2][2])
    assert "stopped the command a previous runner left running (pid " in log


@pytest.mark.usefixtures("tmux_server", "linear_server", "github")
def test_a_runner_killed_before_its_command_was_recorded_leaves_nothing_running(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trace = tmp_path / "trace"
    definition = one_shell_step(tmp_path, f'echo "ran $$" >> {trace}\n')
    monkeypatch.setenv(STOP_AT, "shell-step-recorded")  # the group is known, not yet let go
    run_id = start_run(
        str(definition), "--issues", "ENG-1", "--repo", str(project.repo), "--source", "linear"
    )
    kill_at("shell-step-recorded", run_id, monkeypatch)
    recorded = RunStore().get(run_id).context.get("shell")
    assert recorded, "the group was recorded before the command could run"
    held = int(recorded[0])
    wait_until(
        lambda: not Path(f"/proc/{held}").exists() or "Z" in _state(held),
        timeout=10,
        message="the held command to end on its own",
    )
    assert not trace.exists()  # it never ran

    agenttui("resume", run_id)
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    assert len(trace_lines(trace)) == 1  # the step ran once, by the resumed runner


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
