"""``agenttui clean`` takes a run's files on its host with it (real sshd): the run's worktree
there, its refs, the recording the host kept because it was down when the run ended; a
host out of reach at clean time is said (ssh's reason), stays pending, and the next clean
finishes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import agenttui, agenttui_result
from tests.support.git_repos import Project, run_git
from tests.support.github_server import GitHubServer
from tests.support.host_runs import start_on_host, submitted
from tests.support.runs import wait_for_attention, wait_for_end
from tests.support.sshd import SshdHost
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.runs.recording.files import run_folder
from workflows.runs.run_store import RunStore


def panes_of(ssh_host: SshdHost, socket: str, run_id: str) -> list[str]:
    """The panes of the run on the host's tmux server ``socket``."""
    listed = ssh_host.ssh(f"tmux -L {socket} list-panes -a -F '#{{@agenttui_run}}'", check=False)
    return [line for line in listed.stdout.split() if line == run_id]


@pytest.mark.usefixtures("linear_server", "github")
def test_clean_removes_a_runs_files_on_its_host_and_finishes_them_when_it_is_back(
    ssh_host: SshdHost, project: Project, tmp_path: Path, tmux_server: TmuxServer
) -> None:
    run_id = start_on_host(ssh_host, project, tmp_path, 6.0)
    submitted(RunStore(), run_id)
    there = ssh_host.home / ".cache" / "agenttui"  # (the test's host shares this filesystem)
    recordings, worktree = there / "recordings" / run_id, there / "worktrees" / run_id
    wait_until(lambda: list(recordings.glob("*.events")), timeout=30, message="its recording")
    ssh_host.stop()  # down mid-turn: its pane's recording stays there, never fetched
    wait_for_attention(run_id)  # the drop
    agenttui("cancel", run_id)
    assert wait_for_end(run_id)["status"] == "cancelled"
    assert [path.suffix for path in recordings.iterdir()] == [".events"]
    assert (worktree / ".git").exists()

    # The agent's work never came back here: a clean without --force would lose it.
    refused = agenttui_result("clean", run_id)
    assert refused.returncode != 0
    assert f"its latest work is on host 'remote' ({worktree})" in refused.stderr
    assert "Traceback" not in refused.stderr and worktree.is_dir() and recordings.is_dir()

    # Host down: cleaned here, said with ssh's reason, pending; nothing removed there.
    done = agenttui_result("clean", run_id, "--force", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["hosts_cleaned"] == []
    assert list(result["hosts_pending"]) == ["remote"]
    assert "Connection refused" in result["hosts_pending"]["remote"], result
    assert not run_folder(run_id).exists()  # its recordings here (and their fetch states)
    assert recordings.is_dir() and worktree.is_dir()
    again = agenttui("clean", run_id, "--force").stdout  # said in words too; still pending
    assert f"{run_id}: cleaned" in again
    assert "on host 'remote' not removed yet: cannot reach host 'remote'" in again
    assert "Connection refused" in again and "the next `agenttui clean` tries again" in again
    log = agenttui("log", run_id).stdout
    assert "its files on host 'remote' not removed yet: " in log

    # Back: the next clean of every finished run removes them there, once, and closes the
    # run's agent there (the run ended while the host was down: it could not then).
    ssh_host.start()
    assert panes_of(ssh_host, tmux_server.socket, run_id) == [run_id]
    finished = agenttui("clean", "--finished").stdout
    assert finished.strip() == f"{run_id}: its files on host remote removed"
    assert not recordings.exists() and not worktree.exists()
    assert panes_of(ssh_host, tmux_server.socket, run_id) == []
    assert str(worktree) not in run_git(ssh_host.repo, "worktree", "list")
    assert run_git(ssh_host.repo, "for-each-ref", "refs/agenttui") == ""
    assert RunStore().get(run_id).context.get("hosts_pending") is None
    assert agenttui("clean", "--finished").stdout.strip() == "no finished runs to clean"
    assert "its files on host 'remote' removed" in agenttui("log", run_id).stdout


@pytest.mark.usefixtures("linear_server")
def test_a_run_that_ended_well_on_a_host_leaves_nothing_there_once_cleaned(
    ssh_host: SshdHost,
    github: GitHubServer,
    project: Project,
    tmp_path: Path,
    tmux_server: TmuxServer,
) -> None:
    del github, tmux_server
    run_id = start_on_host(ssh_host, project, tmp_path, 0.5)
    summary = wait_for_end(run_id)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout
    worktree = ssh_host.home / ".cache" / "agenttui" / "worktrees" / run_id
    assert worktree.is_dir()  # what the old clean left there for good
    cleaned = json.loads(agenttui("clean", run_id, "--json").stdout)
    assert cleaned["hosts_cleaned"] == ["remote"] and cleaned["hosts_pending"] == {}
    assert not worktree.exists()
    assert run_git(ssh_host.repo, "for-each-ref", "refs/agenttui") == ""
    assert run_git(ssh_host.repo, "branch", "--list", summary["branch"])  # the branch stays
