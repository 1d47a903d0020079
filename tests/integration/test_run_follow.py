"""Runs follow their issues (issue 15 item 2), against the schema-validating Linear server:
a real runner in a private tmux server, a real worktree, the watcher's rounds.

The workflow comments on its issue, waits for the test's go file, then comments again: a run
that was not stopped would post that second comment, which the server would count."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tests.support.cli import agenttui
from tests.support.environment import write_config
from tests.support.git_repos import make_project
from tests.support.linear_server import LinearServer
from tests.support.runs import run_summary, wait_for_end
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.autonomy.watcher import RoundResult, Watcher, WatchOptions
from workflows.base.paths import config_dir
from workflows.base.target import TmuxTarget
from workflows.runs.recording.files import cast_path
from workflows.runs.run_store import RunStore

FOLLOW_WORKFLOW = """
name = "follow"
description = "comment, wait for the go file, comment again (follow tests)"
worktree = true

[[steps]]
id = "hello"
kind = "linear"
comment = "Started on {issue_ids}"

[[steps]]
id = "work"
run = "until [ -e GO ]; do sleep 0.1; done"

[[steps]]
id = "report"
kind = "linear"
comment = "Finished {issue_ids}"
"""


def configure(tmp_path: Path, extra: str = "") -> tuple[Path, Path]:
    """The follow workflow and a watcher on label "robot"; the go file and the repo."""
    project = make_project(tmp_path)
    go = tmp_path / "go"
    (config_dir() / "workflows").mkdir(parents=True, exist_ok=True)
    (config_dir() / "workflows" / "follow.toml").write_text(FOLLOW_WORKFLOW.replace("GO", str(go)))
    write_config(
        f'[watch]\nworkflow = "follow"\nfilter = "robots"\nrepo = "{project.repo}"\n\n'
        f'[watch.filters.robots]\nlabels = ["robot"]\n{extra}'
    )
    return go, project.repo


def decisions(result: RoundResult) -> list[tuple[str, str]]:
    return [(decision["action"], decision["reason"]) for decision in result.decisions]


def at_work(run_id: str) -> bool:
    record = RunStore().get(run_id)
    return record.current_step == "work" and record.status == "running"


def move(server: LinearServer, key: str, state: str) -> None:
    issue = server.workspace.find_issue(key)
    issue["stateId"] = server.workspace.state("ENG", state)["id"]
    issue["updatedAt"] = "2031-01-01T00:00:00.000Z"


def test_an_issue_canceled_stops_its_run_within_one_round_and_nothing_more_is_posted(
    tmp_path: Path, tmux_server: TmuxServer, linear_server: LinearServer
) -> None:
    go, _repo = configure(tmp_path)
    workspace = linear_server.workspace
    key = workspace.add_issue("Rotate the backup keys", labels=["robot"], assignee="me")[
        "identifier"
    ]
    target = TmuxTarget(tmux_server.socket, tmux_server.session)
    watcher = Watcher(WatchOptions.from_config(), target)
    first = watcher.run_round()
    (launched,) = [d for d in first.decisions if d["action"] == "launched"]
    run_id = launched["run_id"]
    wait_until(lambda: at_work(run_id), timeout=120, message="the run at its work step")
    assert workspace.comments_on(key) == [f"Started on {key}"]
    posted = len(linear_server.mutations())

    move(linear_server, key, "Canceled")
    second = watcher.run_round()
    assert ("stopped", f"run {run_id}: {key} was moved to Canceled (canceled)") in decisions(second)
    summary = wait_for_end(run_id, timeout=30)  # the runner notices within a poll
    assert summary["status"] == "stopped"
    assert summary["error"] == f"{key} was moved to Canceled (canceled)"
    assert Path(summary["worktree"]).is_dir()  # kept for a resume
    go.touch()  # a run still going would now post its report
    time.sleep(3)
    assert len(linear_server.mutations()) == posted  # nothing posted after the stop
    assert workspace.comments_on(key) == [f"Started on {key}"]
    assert workspace.issue_state(key) == "Canceled"  # no state put back either
    assert "stopping: " in agenttui("log", run_id).stdout
    log = agenttui("watch-log").stdout
    assert "stopped" in log and f"{key} was moved to Canceled" in log

    third = watcher.run_round()  # still canceled: nothing launched, nothing resumed
    assert decisions(third) == [
        ("skipped", f"run {run_id} (stopped): resumes when the issue is back at work")
    ]

    move(linear_server, key, "Todo")  # back at work: the same run resumes where it stopped
    fourth = watcher.run_round()
    assert ("resumed", f"run {run_id} resumed: its issues are back at work") in decisions(fourth)
    assert [d["action"] for d in fourth.decisions].count("launched") == 0
    assert wait_for_end(run_id, timeout=120)["status"] == "succeeded"
    assert workspace.comments_on(key) == [f"Started on {key}", f"Finished {key}"]


def test_an_issue_unassigned_stops_its_run_before_the_next_step(
    tmp_path: Path, tmux_server: TmuxServer, linear_server: LinearServer
) -> None:
    go, repo = configure(tmp_path)
    workspace = linear_server.workspace
    issue = workspace.add_issue("Export invoices as CSV", assignee="me")
    key = issue["identifier"]
    run_id = json.loads(
        agenttui(
            "run", "follow", "--issues", key, "--repo", str(repo), "--source",
            "linear", "--json",
        ).stdout
    )["run"]  # fmt: skip
    wait_until(lambda: at_work(run_id), timeout=120, message="the run at its work step")
    posted = len(linear_server.mutations())
    issue["assigneeId"] = None  # no watcher: the runner itself checks between steps
    go.touch()
    summary: dict[str, Any] = wait_for_end(run_id, timeout=60)
    assert summary["status"] == "stopped"
    assert summary["error"] == f"{key} is unassigned (was Ada Lovelace)"
    assert len(linear_server.mutations()) == posted
    assert run_summary(run_id)["current_step"] == "work"
    assert "report" not in [attempt.step_id for attempt in RunStore().attempts(run_id)]


AGENT_WORKFLOW = """
name = "follow-agent"
description = "an agent at work on the issue (follow tests)"
worktree = true

[[steps]]
id = "work"
prompt = "Work on the issue [hang]"
output = ".agenttui/work.md"
stall = 0

[[steps]]
id = "report"
kind = "linear"
comment = "Finished {issue_ids}"
"""


def test_a_stopped_runs_agent_is_interrupted_then_closed_and_its_worktree_kept(
    tmp_path: Path, tmux_server: TmuxServer, linear_server: LinearServer
) -> None:
    _go, repo = configure(tmp_path, "\n[recordings]\nenabled = true\n")
    (config_dir() / "workflows" / "follow-agent.toml").write_text(AGENT_WORKFLOW)
    workspace = linear_server.workspace
    key = workspace.add_issue("Fix the login timeout", labels=["robot"], assignee="me")[
        "identifier"
    ]
    run_id = json.loads(
        agenttui(
            "run", "follow-agent", "--issues", key, "--repo", str(repo), "--source", "linear",
            "--agent", "demo", "--json",
        ).stdout
    )["run"]  # fmt: skip
    agent = f"{run_id}-main"

    def agent_working() -> bool:
        cast = cast_path(run_id, agent)
        return cast.is_file() and "Working" in cast.read_text(encoding="utf-8")

    wait_until(agent_working, timeout=120, message="the agent at work")
    posted = len(linear_server.mutations())
    move(linear_server, key, "Done")
    target = TmuxTarget(tmux_server.socket, tmux_server.session)
    round_ = Watcher(WatchOptions.from_config(), target).run_round()
    assert ("stopped", f"run {run_id}: {key} was moved to Done (completed)") in decisions(round_)
    summary = wait_for_end(run_id, timeout=60)
    assert summary["status"] == "stopped"

    def agent_closed() -> bool:
        names = tmux_server.cmd("list-panes", "-a", "-F", "#{@agenttui_name}").split()
        return agent not in names

    wait_until(agent_closed, timeout=30, message="the agent's pane to close")
    recording = cast_path(run_id, agent).read_text(encoding="utf-8")
    assert "Interrupted" in recording  # it got its interrupt key before its pane closed
    assert Path(summary["worktree"]).is_dir()
    assert len(linear_server.mutations()) == posted
