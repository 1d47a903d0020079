"""A workflow run with one step on a remote host (real sshd), through a dropped connection."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.support.cli import agenttui
from tests.support.git_repos import Project, run_git
from tests.support.github_server import GitHubServer
from tests.support.host_runs import remote_quick_fix, start_on_host, submitted
from tests.support.profiles import slow_demo_profile
from tests.support.runs import (
    prompts_received,
    run_summary,
    start_run,
    wait_for_attention,
    wait_for_end,
)
from tests.support.sshd import SshdHost
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.runs.host_worktree import remote_worktree
from workflows.runs.run_store import RunStore


@pytest.mark.usefixtures("linear_server")
def test_a_demo_run_with_its_agent_and_tests_on_a_remote_host_survives_a_dropped_connection(
    tmux_server: TmuxServer,
    ssh_host: SshdHost,
    github: GitHubServer,
    project: Project,
    tmp_path: Path,
) -> None:
    ssh_host.repo.rmdir()
    run_git(ssh_host.home, "clone", "-q", str(project.remote), str(ssh_host.repo))  # its clone
    agent = slow_demo_profile(3.0)
    run_id = start_run(
        str(remote_quick_fix(tmp_path)), "--issues", "ENG-1", "--repo", str(project.repo),
        "--source", "linear", "--agent", agent, "--github-repo", "acme/widgets",
        "--test-command", 'sh run_tests.sh && echo "tests ran in $HOME"',
        "--host", "remote",  # the run's other agent and shell steps: the test step
    )  # fmt: skip
    store = RunStore()
    submitted(store, run_id)
    ssh_host.drop_connection()  # mid-step: the agent is working on the host

    summary = wait_for_end(run_id)
    log = agenttui("log", run_id).stdout
    assert summary["status"] == "succeeded", log
    there = Path(remote_worktree(ssh_host.host, run_id))
    assert there.is_relative_to(ssh_host.home)  # the step's worktree was the host's
    assert run_git(there, "branch", "--show-current") == summary["branch"]
    prompts = prompts_received(there)
    assert len(prompts) == len(store.deliveries(run_id)) == 1  # sent once, through the drop
    assert "ENG-1" in prompts[0]
    # The tests ran there too (on the agent's work), their output kept here.
    (test_attempt,) = [a for a in store.attempts(run_id) if a.step_id == "test"]
    assert f"tests ran in {ssh_host.home}" in test_attempt.outputs["output"]
    assert "running on host 'remote': sh run_tests.sh" in log
    # The agent's work came back here: the pull request carries it.
    here = Path(summary["worktree"])
    assert (here / "DEMO_CHANGES.md").read_text() == (there / "DEMO_CHANGES.md").read_text()
    assert len(github.pulls) == 1
    assert f"work moved to host 'remote' ({there})" in log
    assert "work back from host 'remote'" in log
    # The agent ran in the host's tmux (its own HOME), not in this machine's server.
    panes = ssh_host.ssh(f"tmux -L {tmux_server.socket} list-panes -a -F '#{{@agenttui_name}}'")
    assert f"{run_id}-main" in panes.stdout.split()


@pytest.mark.usefixtures("linear_server", "tmux_server")
def test_a_run_waits_for_its_host_to_come_back_and_goes_on(
    ssh_host: SshdHost, github: GitHubServer, project: Project, tmp_path: Path
) -> None:
    run_id = start_on_host(ssh_host, project, tmp_path, 6.0)
    store = RunStore()
    submitted(store, run_id)
    ssh_host.stop()  # the host is gone: sshd and every connection to it
    shown = wait_for_attention(run_id)
    assert "host 'remote' unreachable" in shown and "Connection refused" in shown
    assert run_summary(run_id)["status"] == "running"  # waiting, not failed
    ssh_host.start()  # back (its agent kept working in its tmux meanwhile)

    summary = wait_for_end(run_id)
    log = agenttui("log", run_id).stdout
    assert summary["status"] == "succeeded", log
    assert "host 'remote' unreachable, waiting for it" in log and "host 'remote' back after" in log
    there = Path(remote_worktree(ssh_host.host, run_id))
    assert len(prompts_received(there)) == len(store.deliveries(run_id)) == 1  # sent once
    assert (Path(summary["worktree"]) / "DEMO_CHANGES.md").exists()
    assert len(github.pulls) == 1


@pytest.mark.usefixtures("linear_server", "tmux_server")
def test_a_runner_killed_during_a_host_step_resumes_it_there_without_sending_twice(
    ssh_host: SshdHost, github: GitHubServer, project: Project, tmp_path: Path
) -> None:
    run_id = start_on_host(ssh_host, project, tmp_path, 4.0)
    store = RunStore()
    submitted(store, run_id)
    worker = store.get(run_id).worker_pid
    assert worker
    os.kill(worker, signal.SIGKILL)  # while its agent works on the host
    wait_until(lambda: run_summary(run_id)["status"] == "failed", timeout=30, message="dead")
    there = Path(remote_worktree(ssh_host.host, run_id))
    # Work only the host has (the agent's, say): a resume must not lay the older work over it.
    (there / "ONLY_THERE.md").write_text("made on the host while the runner was down\n")

    agenttui("resume", run_id)
    summary = wait_for_end(run_id)
    log = agenttui("log", run_id).stdout
    assert summary["status"] == "succeeded", log
    # The implement step's work was not moved over again on resume (the pr step moves the
    # work there once more, to push from the host).
    assert log.count("[implement] work moved to host 'remote'") == 1
    assert len(prompts_received(there)) == len(store.deliveries(run_id)) == 1
    here = Path(summary["worktree"])
    assert (here / "ONLY_THERE.md").read_text() == "made on the host while the runner was down\n"
    assert (here / "DEMO_CHANGES.md").exists()


def sleeping_there() -> list[str]:
    """Processes (this machine's: the test host is it) running the marked sleep."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            line = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "sleep 31.5" in line and "sh -c" in line:
            found.append(proc.name)
    return found


@pytest.mark.usefixtures("linear_server", "tmux_server", "github")
def test_a_shell_step_on_a_host_that_times_out_stops_its_command_there(
    ssh_host: SshdHost, project: Project, tmp_path: Path
) -> None:
    ssh_host.repo.rmdir()
    run_git(ssh_host.home, "clone", "-q", str(project.remote), str(ssh_host.repo))
    definition = tmp_path / "slow.toml"
    definition.write_text(
        'name = "slow"\nagent = "demo"\nhost = "remote"\n\n'
        '[[steps]]\nid = "test"\nrun = "sleep 31.5; echo never"\ntimeout = 2\n'
    )
    run_id = start_run(
        str(definition), "--issues", "ENG-1", "--repo", str(project.repo), "--source", "linear"
    )
    wait_until(sleeping_there, timeout=60, message="the command running on the host")
    summary = wait_for_end(run_id)
    assert summary["status"] == "failed"
    assert "command still running after 2s: sleep 31.5" in summary["error"]
    wait_until(lambda: not sleeping_there(), timeout=15, message="the command stopped there")
