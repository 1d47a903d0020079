"""Runaway guards in the watcher (issue 15 item 5): an issue whose run just failed is not
launched again for ``[watch] failed_cooldown_hours``, whatever changed, and the log says why.
Real runners in a private tmux server against the schema-validating Linear server."""

from __future__ import annotations

import time
from pathlib import Path

from tests.support.cli import agenttui
from tests.support.environment import write_config
from tests.support.git_repos import make_project
from tests.support.linear_server import LinearServer
from tests.support.runs import wait_for_end
from tests.support.tmux import TmuxServer
from workflows.autonomy.watcher import RoundResult, Watcher, WatchOptions
from workflows.base.paths import config_dir
from workflows.base.target import TmuxTarget

FAILING_WORKFLOW = """
name = "failing"
description = "fails the same way every time (runaway tests)"
worktree = false

[[steps]]
id = "build"
run = "echo 'the build server is down'; exit 3"
"""
COOLDOWN_S = 10.0


def relabel(server: LinearServer, key: str, label: str, stamp: str) -> None:
    issue = server.workspace.find_issue(key)
    issue["labelIds"].append(server.workspace._named(server.workspace.labels, label))
    issue["updatedAt"] = stamp


def actions(result: RoundResult) -> list[tuple[str, str]]:
    return [(d["action"], d["reason"]) for d in result.decisions]


def test_a_run_that_failed_is_not_launched_again_within_the_cooldown_and_the_log_says_why(
    tmp_path: Path, tmux_server: TmuxServer, linear_server: LinearServer
) -> None:
    project = make_project(tmp_path)
    (config_dir() / "workflows").mkdir(parents=True, exist_ok=True)
    (config_dir() / "workflows" / "failing.toml").write_text(FAILING_WORKFLOW)
    write_config(
        f'[watch]\nworkflow = "failing"\nfilter = "robots"\nrepo = "{project.repo}"\n'
        f"failed_cooldown_hours = {COOLDOWN_S / 3600}\n\n"
        '[watch.filters.robots]\nlabels = ["robot"]\n'
    )
    key = linear_server.workspace.add_issue("Nightly build", labels=["robot"])["identifier"]
    watcher = Watcher(
        WatchOptions.from_config(), TmuxTarget(tmux_server.socket, tmux_server.session)
    )
    (first,) = watcher.run_round().decisions
    assert first["action"] == "launched"
    failed = wait_for_end(first["run_id"])
    assert failed["status"] == "failed"
    started = time.monotonic()

    relabel(linear_server, key, "urgent", "2031-01-01T00:00:00.000Z")  # a change that retriggers
    held = watcher.run_round()
    (decision,) = actions(held)
    assert decision[0] == "skipped"
    assert decision[1].startswith("label(s) added: urgent, but run " + first["run_id"])
    assert f"({failed['error'].splitlines()[0][:200]})" in decision[1]  # with its failure
    assert "failed_cooldown_hours" in decision[1]
    assert time.monotonic() - started < COOLDOWN_S, "the machine was too slow to check the hold"
    assert "not launched again before" in agenttui("watch-log").stdout

    time.sleep(max(0.0, COOLDOWN_S - (time.monotonic() - started)) + 0.5)
    relabel(linear_server, key, "backend", "2031-01-02T00:00:00.000Z")
    (again,) = watcher.run_round().decisions  # the cooldown has passed: it may try once more
    assert again["action"] == "launched" and again["run_id"] != first["run_id"]
    assert wait_for_end(again["run_id"])["status"] == "failed"
