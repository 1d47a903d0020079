"""A shell step on a host whose runner was SIGKILLed: the resumed runner stops the command it
left running there, and waits until it is gone, before the step runs again (real sshd)."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

import pytest

from tests.support.cli import agenttui
from tests.support.git_repos import Project, run_git
from tests.support.runs import (
    SLOW_TO_STOP,
    kill_at,
    one_shell_step,
    run_summary,
    start_run,
    trace_lines,
    wait_for_end,
)
from tests.support.sshd import SshdHost
from tests.support.waiting import wait_until
from workflows.base.crashpoints import ENV as STOP_AT
from workflows.runs.run_store import RunStore


@pytest.mark.usefixtures("linear_server", "tmux_server", "github")
def test_resume_stops_the_command_a_killed_runner_left_running_on_the_host_first(
    ssh_host: SshdHost, project: Project, tmp_path: Path
) -> None:
    ssh_host.repo.rmdir()
    run_git(ssh_host.home, "clone", "-q", str(project.remote), str(ssh_host.repo))
    trace = tmp_path / "trace"
    script = SLOW_TO_STOP.format(trace=trace).replace("start $$", "start $$ $HOME")
    definition = one_shell_step(tmp_path, script, host="remote")
    run_id = start_run(
        str(definition), "--issues", "ENG-1", "--repo", str(project.repo), "--source", "linear"
    )
    wait_until(lambda: trace_lines(trace), timeout=120, message="the command to start there")
    first_pid = int(trace_lines(trace)[0][1])
    group = os.getpgid(first_pid)
    try:
        os.kill(RunStore().get(run_id).worker_pid or 0, signal.SIGKILL)
        wait_until(
            lambda: run_summary(run_id)["status"] == "failed", timeout=30, message="dead runner"
        )
        assert Path(f"/proc/{first_pid}").exists()  # the orphaned command still runs there

        agenttui("resume", run_id)
        summary = wait_for_end(run_id)
        log = agenttui("log", run_id).stdout
        assert summary["status"] == "succeeded", log
    finally:  # the old code leaves it running for 10 minutes
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
    lines = trace_lines(trace)
    # The first command (on the host: its HOME) ended, clean-up done, before the second began.
    assert [line[0] for line in lines] == ["start", "end", "start"], lines
    assert lines[0][2] == lines[2][2] == str(ssh_host.home)
    assert lines[0][1] == lines[1][1] == str(first_pid) != lines[2][1]
    assert float(lines[1][2]) <= float(lines[2][3])
    assert "stopped the command a previous runner left running on host 'remote'" in log


@pytest.mark.usefixtures("linear_server", "tmux_server", "github")
def test_a_runner_killed_before_its_host_command_was_let_go_leaves_nothing_running_there(
    ssh_host: SshdHost, project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ssh_host.repo.rmdir()
    run_git(ssh_host.home, "clone", "-q", str(project.remote), str(ssh_host.repo))
    trace = tmp_path / "trace"
    definition = one_shell_step(tmp_path, f'echo "ran $$ $HOME" >> {trace}\n', host="remote")
    monkeypatch.setenv(STOP_AT, "shell-step-recorded")  # its pid file known, not yet let go
    run_id = start_run(
        str(definition), "--issues", "ENG-1", "--repo", str(project.repo), "--source", "linear"
    )
    kill_at("shell-step-recorded", run_id, monkeypatch)
    name, pidfile = RunStore().get(run_id).context["shell_host"]
    assert name == "remote"

    def ended_there() -> bool:  # the held command wrote its pid, read end-of-file, and ended
        pid = ssh_host.ssh(f"cat {pidfile}").stdout.strip()
        return bool(pid) and ssh_host.ssh(f"kill -0 {pid}", check=False).returncode != 0

    wait_until(ended_there, timeout=20, message="the held command to end there by itself")
    assert not trace.exists()  # it never ran
    files = ssh_host.ssh(f"ls -A {Path(pidfile).parent}").stdout.split()
    assert files == [Path(pidfile).name]  # its env file (values, secrets) removed there

    agenttui("resume", run_id)
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    assert trace_lines(trace) == [["ran", trace_lines(trace)[0][1], str(ssh_host.home)]]
