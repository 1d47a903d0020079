"""The agent panes of a host step recorded too (issue 17): on the host, tmux's pipe of the
pane into a stamping Python writing a 0600 file there, fetched over the host's shared ssh
connection into the run's recording here, through the host dropping mid-step."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.hosts.test_remote_runs import start_on_host, submitted
from tests.support.cli import agenttui
from tests.support.environment import append_config
from tests.support.git_repos import Project
from tests.support.github_server import GitHubServer
from tests.support.recordings import replayed
from tests.support.runs import run_summary, wait_for_end
from tests.support.screens import played
from tests.support.sshd import SshdHost
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.runs.recording.asciicast import read_cast
from workflows.runs.recording.files import run_casts, run_folder
from workflows.runs.recording.replay import RESTORE, final_screen
from workflows.runs.run_store import RunStore


@pytest.mark.usefixtures("linear_server")
def test_a_host_steps_agent_is_recorded_here_through_the_host_dropping_and_replays_its_screen(
    tmux_server: TmuxServer,
    ssh_host: SshdHost,
    github: GitHubServer,
    project: Project,
    tmp_path: Path,
) -> None:
    append_config("[workflows]\nkeep_agents = true\n")  # the pane stays there to compare
    run_id = start_on_host(ssh_host, project, tmp_path, 6.0)
    submitted(RunStore(), run_id)
    ssh_host.stop()  # down mid-turn: the pane's output goes on into the file there
    wait_until(lambda: run_summary(run_id).get("attention"), timeout=60, message="the host missed")
    ssh_host.start()

    summary = wait_for_end(run_id)
    log = agenttui("log", run_id).stdout
    assert summary["status"] == "succeeded", log
    agent = f"{run_id}-main"
    assert [path.stem for path in run_casts(run_id)] == [agent]  # here, as a local one
    path = run_folder(run_id) / f"{agent}.cast"
    assert stat.S_IMODE(run_folder(run_id).stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    header, events = read_cast(path)  # asciicast v2, or BadCast naming file:line
    assert json.loads(path.read_text().splitlines()[0])["version"] == 2
    assert {event.code for event in events} <= {"o", "r"}
    assert [event.time for event in events] == sorted(event.time for event in events)

    # Its replay ends on the very screen the host's tmux shows for that pane.
    socket = tmux_server.socket
    listed = ssh_host.ssh(f"tmux -L {socket} list-panes -a -F '#{{pane_id}} #{{@agenttui_name}}'")
    (pane_id,) = [line.split()[0] for line in listed.stdout.splitlines() if line.endswith(agent)]
    shown_there = ssh_host.ssh(f"tmux -L {socket} capture-pane -p -t {pane_id}").stdout
    expected = [line.rstrip() for line in shown_there.split("\n")[: header.height]]
    assert "Done #1 in" in "\n".join(expected)  # the agent's own work is there
    assert final_screen(header, events) == expected
    printed = "".join(event.data for event in events)
    assert printed.count("Done #1 in") == printed.count("wrote DEMO_CHANGES.md") == 1  # once
    shown = replayed(run_id, agent, "--speed", "1000", "--idle", "0.001")
    assert shown.endswith(RESTORE)
    assert played(shown.removesuffix(RESTORE), header.width, header.height) == expected

    # Everything was fetched once: nothing left there, nothing pending here.
    leftovers = ssh_host.ssh('find "$HOME/.cache/agenttui/recordings" -type f').stdout
    assert leftovers.split() == []
    assert list(run_folder(run_id).glob(".*")) == []
    assert "recording" not in {event["kind"] for event in RunStore().events(run_id)}
