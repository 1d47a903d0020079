"""What tmux 3.3a does badly in parallel is done one process at a time, and a server
restart is noticed and said (issue 18 item 8)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.support.cli import agenttui
from tests.support.environment import append_config
from tests.support.git_repos import Project
from tests.support.linear_server import LinearServer
from tests.support.recordings import RECORDING
from tests.support.runs import wait_for_end
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.tmux.control import ControlConnection
from workflows.tmux.driver import TmuxDriver
from workflows.tmux.server import layout_lock


def names(tmux_server: TmuxServer) -> list[str]:
    return tmux_server.cmd("list-panes", "-a", "-F", "#{@agenttui_name}").split()


def test_a_spawn_in_another_process_waits_for_the_layout_lock(
    driver: TmuxDriver, tmux_server: TmuxServer, tmp_path: Path
) -> None:
    driver.ensure_session()
    spawn = [sys.executable, "-m", "tui", "spawn", "--agent", "shell", "--name", "late",
             "--cwd", str(tmp_path), "--json"]  # fmt: skip
    with layout_lock(tmux_server.socket):
        started = time.monotonic()
        process = subprocess.Popen(spawn, stdout=subprocess.PIPE, text=True)
        time.sleep(1.5)  # what it does meanwhile is the point: nothing may change in tmux
        assert process.poll() is None and "late" not in names(tmux_server)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 0 and time.monotonic() - started >= 1.5
    assert json.loads(out)["name"] == "late" and "late" in names(tmux_server)


def test_the_driver_notices_a_server_restart(driver: TmuxDriver, tmux_server: TmuxServer) -> None:
    driver.ensure_session()
    before = driver.server_identity()
    assert before == driver.server_identity() and driver.restarts == []
    assert before.running()
    tmux_server.cmd("kill-server")
    wait_until(lambda: not before.running(), timeout=10, message="the old server to exit")
    driver.ensure_session()  # a new server
    after = driver.server_identity()
    assert after.pid != before.pid and driver.restarts == [(before, after)]
    assert after.running() and not before.running()
    # A pid alive again (here ours) but for a process started at another time is not it.
    assert not dataclasses.replace(after, pid=os.getpid()).running()
    assert (
        after.hook_key == tmux_server.cmd("display-message", "-p", "#{socket_path},#{pid}").strip()
    )


PLAN_ONLY = """
name = "plan-only"
agent = "demo"

[[steps]]
id = "plan"
prompt = "Plan the change for {issue_ids}. Write your answer to the file: {output}"
output = ".agenttui/plan.md"
"""


@pytest.mark.parametrize("recorded", [False, True], ids=["plain", "recorded"])
def test_five_runs_launched_at_once_on_a_cold_server(
    tmux_server: TmuxServer,
    linear_server: LinearServer,
    project: Project,
    tmp_path: Path,
    recorded: bool,
) -> None:
    """Recorded too: before control clients came and went under the layout lock, tmux 3.3a
    segfaulted in 2 of 9 recorded trials (and in CI). Recording is the default: "plain"
    turns it off."""
    append_config(RECORDING if recorded else "[recordings]\nenabled = false\n")
    definition = tmp_path / "plan-only.toml"
    definition.write_text(PLAN_ONLY)
    argv = [sys.executable, "-m", "tui", "run", str(definition), "--repo", str(project.repo),
            "--source", "linear", "--json", "--issues"]  # fmt: skip
    issues = ["ENG-1", "ENG-2", "ENG-3", "ENG-4", "ENG-5"]
    launches = [
        subprocess.Popen([*argv, issue], stdout=subprocess.PIPE, text=True) for issue in issues
    ]
    run_ids = [json.loads(p.communicate(timeout=120)[0])["run"] for p in launches]
    server = tmux_server.cmd("display-message", "-p", "#{pid}").strip()
    for run_id in run_ids:
        summary = wait_for_end(run_id)
        if summary["status"] != "succeeded":  # the runner's window stays: what did it say?
            runner = tmux_server.cmd("capture-pane", "-p", "-t", f"=agenttui:run-{run_id}")
            raise AssertionError((summary, runner, agenttui("log", run_id).stdout))
    assert tmux_server.cmd("display-message", "-p", "#{pid}").strip() == server
    for run_id in run_ids:
        assert "tmux-restart" not in agenttui("log", run_id).stdout


def control_clients(tmux_server: TmuxServer) -> set[str]:
    listing = tmux_server.cmd("list-clients", "-F", "#{client_control_mode} #{client_name}")
    return {line.split()[1] for line in listing.splitlines() if line.startswith("1 ")}


def test_control_clients_come_and_go_only_under_the_layout_lock(
    driver: TmuxDriver, tmux_server: TmuxServer
) -> None:
    """tmux 3.3a segfaults when a notification reaches a control client that is still
    identifying (tmux bug #4980; bench/tmux_identify_crash.py shows it): agenttui's own
    changes, and its control clients attaching or leaving (%client-session-changed,
    %client-detached), must never overlap one of its control clients' identification."""
    driver.ensure_session()
    before = control_clients(tmux_server)
    opened: list[ControlConnection] = []
    with layout_lock(tmux_server.socket):  # another thread (or process) changes the layout
        connecting = threading.Thread(
            target=lambda: opened.append(ControlConnection(tmux_server.target, no_output=True))
        )
        connecting.start()
        time.sleep(1.0)  # what it does meanwhile is the point: no client may attach
        assert control_clients(tmux_server) == before and not opened
    connecting.join(10)
    (connection,) = opened
    (new,) = control_clients(tmux_server) - before
    with layout_lock(tmux_server.socket):
        leaving = threading.Thread(target=connection.close)
        leaving.start()
        time.sleep(1.0)
        assert new in control_clients(tmux_server)  # its detach waits too
    leaving.join(10)
    wait_until(lambda: new not in control_clients(tmux_server), message="the client gone")
