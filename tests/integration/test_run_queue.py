"""``[runs] max_running`` and the queue (issue 15 item 1): real runners in a private tmux
server, each run a user workflow of one shell step, launched by the CLI one after another.

The store records every slot taken (``admitted``) and every run's end in the same transaction
as the status change, so walking the events in order checks the limit at every change."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.cli import agenttui
from tests.support.environment import write_config
from tests.support.git_repos import make_project
from tests.support.linear_server import LinearServer
from tests.support.runs import run_summary, wait_for_end
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.autonomy.watcher import Watcher, WatchOptions
from workflows.base.paths import config_dir
from workflows.base.target import TmuxTarget
from workflows.runs.run_store import RunStore

SLOW_WORKFLOW = """
name = "slow"
description = "waits for the test's go, then works a while (queue tests)"
worktree = false

[[steps]]
id = "work"
run = "until [ -e GO ]; do sleep 0.1; done; sleep SECONDS"
"""
BY_ISSUE_NUMBER = "$(echo {issue_ids} | tr -dc 0-9)"
"""ENG-1 works 1 s, ENG-2 2 s…: runs at work together end a second apart, in launch order."""
FINAL = ("succeeded", "failed", "cancelled")


def configure(tmp_path: Path, runs_table: str, seconds: str = "1") -> tuple[Path, Path]:
    """A project, the slow workflow and ``runs_table`` as config.toml; the file whose
    creation lets the runs' steps go on."""
    project = make_project(tmp_path)
    go = tmp_path / "go"
    workflow = SLOW_WORKFLOW.replace("GO", str(go)).replace("SECONDS", seconds)
    (config_dir() / "workflows").mkdir(parents=True, exist_ok=True)
    (config_dir() / "workflows" / "slow.toml").write_text(workflow)
    write_config(runs_table)
    return project.repo, go


def launch(repo: Path, issue: str) -> dict[str, Any]:
    result = agenttui(
        "run", "slow", "--issues", issue, "--repo", str(repo), "--source", "linear", "--json"
    )
    return dict(json.loads(result.stdout))


def slot_changes(run_ids: list[str]) -> list[tuple[str, str]]:
    """(run, admitted|ended) in the order the store recorded them."""
    changes = []
    for event in sorted(
        (event for run_id in run_ids for event in RunStore().events(run_id)),
        key=lambda event: event["id"],
    ):
        if event["kind"] == "admitted":
            changes.append((event["run_id"], "admitted"))
        elif event["kind"] in FINAL:
            changes.append((event["run_id"], "ended"))
    return changes


def most_working(changes: list[tuple[str, str]]) -> int:
    """The most runs holding a slot at once, checked at every change (each run ends only
    after it was admitted)."""
    working: set[str] = set()
    most = 0
    for run_id, change in changes:
        if change == "admitted":
            working.add(run_id)
        else:
            assert run_id in working, f"{run_id} ended without a slot: {changes}"
            working.discard(run_id)
        most = max(most, len(working))
    return most


def test_five_launches_with_max_running_2_wait_their_turn_in_launch_order(
    tmp_path: Path, tmux_server: TmuxServer, linear_server: LinearServer
) -> None:
    repo, go = configure(tmp_path, "[runs]\nmax_running = 2\n", BY_ISSUE_NUMBER)
    launched = [launch(repo, f"ENG-{n}") for n in range(1, 6)]
    run_ids = [entry["run"] for entry in launched]
    assert [entry["status"] for entry in launched] == ["started"] * 2 + ["queued"] * 3
    assert "max_running 2 reached" in launched[2]["waits"]
    listed = {run["id"]: run for run in json.loads(agenttui("runs", "--json").stdout)}
    assert listed[run_ids[4]]["status"] == "queued"
    assert "max_running 2 reached" in listed[run_ids[4]]["attention"]
    assert "queued" in agenttui("runs").stdout
    go.touch()

    for run_id in run_ids:
        assert wait_for_end(run_id, timeout=180)["status"] == "succeeded"

    changes = slot_changes(run_ids)
    assert most_working(changes) == 2  # reached, and never passed at any change
    admitted = [run_id for run_id, change in changes if change == "admitted"]
    ended = [run_id for run_id, change in changes if change == "ended"]
    assert admitted == run_ids  # each admitted once, in launch order
    assert ended == run_ids  # and all five finished in launch order
    runs = RunStore()
    starts = [runs.get(run_id).created_at for run_id in run_ids]
    assert starts == sorted(starts)
    waited = [e for e in runs.events(run_ids[4]) if e["kind"] == "queued"]
    assert waited and "max_running 2 reached" in waited[0]["message"]


def test_a_queued_run_cancelled_never_starts(
    tmp_path: Path, tmux_server: TmuxServer, linear_server: LinearServer
) -> None:
    repo, go = configure(tmp_path, "[runs]\nmax_running = 1\n")
    first = launch(repo, "ENG-1")["run"]
    second = launch(repo, "ENG-2")["run"]
    third = launch(repo, "ENG-3")["run"]
    assert run_summary(second)["status"] == run_summary(third)["status"] == "queued"
    cancelled = json.loads(agenttui("cancel", second, "--json").stdout)
    assert cancelled["status"] == "cancelled"
    go.touch()
    assert wait_for_end(first)["status"] == "succeeded"
    assert wait_for_end(third)["status"] == "succeeded"  # the cancelled one's turn skipped
    assert not [e for e in RunStore().events(second) if e["kind"] in ("admitted", "runner")]


def test_a_runner_that_died_frees_its_slot_for_the_queue(
    tmp_path: Path, tmux_server: TmuxServer, linear_server: LinearServer
) -> None:
    repo, go = configure(tmp_path, "[runs]\nmax_running = 1\n")  # never goes
    try:
        runner_killed_and_queue_moved_on(repo)
    finally:  # the killed runner's shell step is an orphan now, polling for the file
        go.touch()


def runner_killed_and_queue_moved_on(repo: Path) -> None:
    first = launch(repo, "ENG-1")["run"]
    second = launch(repo, "ENG-2")["run"]
    pid = wait_until(lambda: RunStore().get(first).worker_pid, timeout=60, message="runner pid")
    wait_until(lambda: RunStore().get(first).status == "running", timeout=60, message="running")
    assert run_summary(second)["status"] == "queued"
    os.kill(pid, signal.SIGKILL)  # no runner left to hand its slot on: a look at the runs does
    listed = {run["id"]: run for run in json.loads(agenttui("runs", "--json").stdout)}
    assert listed[first]["status"] == "failed"
    assert "the runner stopped unexpectedly" in listed[first]["error"]
    assert run_summary(second)["status"] in ("pending", "running")
    admitted = [e for e in RunStore().events(second) if e["kind"] == "admitted"]
    assert len(admitted) == 1
    agenttui("cancel", second)
    assert wait_for_end(second)["status"] == "cancelled"


def test_the_watcher_queues_past_the_limit_and_says_so_in_its_log(
    tmp_path: Path, tmux_server: TmuxServer, linear_server: LinearServer
) -> None:
    repo, go = configure(tmp_path, "")
    write_config(
        f'[runs]\nmax_running = 1\n\n[watch]\nworkflow = "slow"\nfilter = "robots"\n'
        f'repo = "{repo}"\n\n[watch.filters.robots]\nlabels = ["robot"]\n'
    )
    for title in ("Rotate the backup keys", "Export invoices as CSV", "Fix the login timeout"):
        linear_server.workspace.add_issue(title, labels=["robot"])
    target = TmuxTarget(tmux_server.socket, tmux_server.session)
    result = Watcher(WatchOptions.from_config(), target).run_round()
    actions = sorted(decision["action"] for decision in result.decisions)
    assert actions == ["launched", "queued", "queued"], result.decisions
    queued = [d for d in result.decisions if d["action"] == "queued"]
    assert all("queued: max_running 1 reached" in d["reason"] for d in queued)
    log = agenttui("watch-log").stdout
    assert log.count("queued") >= 2, log
    go.touch()
    for decision in result.decisions:
        assert wait_for_end(decision["run_id"], timeout=120)["status"] == "succeeded"


def test_five_launches_at_once_never_take_more_than_max_running_slots(
    tmp_path: Path, tmux_server: TmuxServer, linear_server: LinearServer
) -> None:
    repo, go = configure(tmp_path, "[runs]\nmax_running = 2\n")

    def launch_in_background(issue: str) -> subprocess.Popen[str]:
        argv = ["run", "slow", "--issues", issue, "--repo", str(repo), "--source", "linear"]
        return subprocess.Popen(
            [sys.executable, "-m", "tui", *argv, "--json"],
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )

    # Five processes admitting at once: the store transaction decides who gets a slot.
    launches = [launch_in_background(f"ENG-{n}") for n in range(1, 6)]
    answers = [json.loads(launch.communicate(timeout=120)[0]) for launch in launches]
    assert sorted(answer["status"] for answer in answers) == ["queued"] * 3 + ["started"] * 2
    go.touch()
    run_ids = [answer["run"] for answer in answers]
    for run_id in run_ids:
        assert wait_for_end(run_id, timeout=180)["status"] == "succeeded"
    assert most_working(slot_changes(run_ids)) == 2
