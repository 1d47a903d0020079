"""The watcher against the local Linear server: real runs in real tmux, rounds and reasons.

A tiny user workflow (one shell step) keeps each launched run cheap; everything else is real:
the schema-validating Linear server, grouping, ``launch_run`` starting a runner window in a
private tmux server, a git repository for the runs.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.support.cli import agenttui
from tests.support.git_repos import make_project
from tests.support.linear_server import LinearServer
from tests.support.runs import wait_for_end
from tests.support.tmux import TmuxServer
from workflows.agents.usage_limits import record_limit
from workflows.autonomy.watcher import RoundResult, Watcher, WatchOptions, round_lock
from workflows.base.paths import config_dir, config_file
from workflows.base.store import Store
from workflows.base.target import TmuxTarget
from workflows.runs.run_store import list_runs

NOOP_WORKFLOW = """
name = "noop"
description = "one shell step (watcher tests)"
worktree = false

[[steps]]
id = "hello"
run = "true"
"""


@pytest.fixture
def watch_setup(
    tmp_path: Path, tmux_server: TmuxServer, linear_server: LinearServer
) -> tuple[LinearServer, Watcher]:
    project = make_project(tmp_path)
    (config_dir() / "workflows").mkdir(parents=True)
    (config_dir() / "workflows" / "noop.toml").write_text(NOOP_WORKFLOW)
    config_file().write_text(
        f"""
[watch]
workflow = "noop"
filter = "robots"
repo = "{project.repo}"
retrigger = ["labels_added"]

[watch.filters.robots]
labels = ["robot"]
"""
    )
    from workflows.base.config import load_config

    load_config.cache_clear()
    workspace = linear_server.workspace
    for key, title, labels in (
        ("A", "Rotate the nightly backup encryption keys", ["robot"]),
        ("B", "Dark mode toggle flickers on the settings page", ["robot"]),
        ("C", "Settings page dark mode styles", ["robot", "frontend"]),
    ):
        workspace.add_issue(title, labels=labels, identifier=f"BOT-{key}")
    workspace.relate("BOT-B", "blocks", "BOT-C")
    options = WatchOptions.from_config()
    return linear_server, Watcher(options, TmuxTarget(tmux_server.socket, tmux_server.session))


def actions(result: RoundResult) -> dict[str, str]:
    return {",".join(sorted(d["issues"])): d["action"] for d in result.decisions}


def runs_of(identifier: str) -> list[str]:
    return [run.id for run in list_runs() if identifier in run.issues]


def finish_all_runs() -> None:
    for run in list_runs():
        assert wait_for_end(run.id, timeout=120)["status"] == "succeeded"


def relabel(server: LinearServer, identifier: str, label: str) -> None:
    issue = server.workspace.find_issue(identifier)
    issue["labelIds"].append(server.workspace._named(server.workspace.labels, label))
    issue["updatedAt"] = "2031-01-01T00:00:00.000Z"


def test_rounds_launch_new_issues_once_and_relaunch_relabelled(
    watch_setup: tuple[LinearServer, Watcher],
) -> None:
    server, watcher = watch_setup
    first = watcher.run_round()
    assert first.status == "ok" and first.fetched == 3
    assert actions(first) == {"BOT-A": "launched", "BOT-B,BOT-C": "launched"}
    grouped = next(d for d in first.decisions if sorted(d["issues"]) == ["BOT-B", "BOT-C"])
    assert "BOT-B blocks BOT-C" in grouped["reason"] and "new issue" in grouped["reason"]
    assert len(runs_of("BOT-A")) == 1 and len(runs_of("BOT-B")) == 1

    second = watcher.run_round()  # nothing changed: nothing launched, each skip explained
    assert set(actions(second).values()) == {"skipped"}
    assert set(actions(second)) == {"BOT-A", "BOT-B", "BOT-C"}
    finish_all_runs()

    server.fail(status=503, message="Service Unavailable", times=3)  # Linear is down
    down = watcher.run_round()
    assert down.status == "error" and "503" in down.error and down.decisions == []

    server.workspace.add_issue(
        "Export invoices as CSV for accounting", labels=["robot"], identifier="BOT-D"
    )
    relabel(server, "BOT-A", "urgent")
    third = watcher.run_round()  # the next round retries: new and relabelled issues launch
    assert third.status == "ok"
    assert actions(third) == {
        "BOT-A": "launched",
        "BOT-D": "launched",
        "BOT-B": "skipped",
        "BOT-C": "skipped",
    }
    relaunch = next(d for d in third.decisions if d["issues"] == ["BOT-A"])
    assert "label(s) added: urgent" in relaunch["reason"]
    assert len(runs_of("BOT-A")) == 2 and len(runs_of("BOT-B")) == 1
    assert len(runs_of("BOT-D")) == 1
    finish_all_runs()

    fourth = watcher.run_round()
    assert set(actions(fourth).values()) == {"skipped"}
    assert sum(len(runs_of(i)) for i in ("BOT-A", "BOT-B", "BOT-D")) == 4


def test_issue_with_a_hand_started_run_is_not_launched(
    watch_setup: tuple[LinearServer, Watcher],
) -> None:
    _server, watcher = watch_setup
    agenttui(
        "run",
        "noop",
        "--issues",
        "BOT-A",
        "--repo",
        str(watcher.options.repo),
        "--socket",
        str(watcher.target.socket),
        "--session",
        watcher.target.session,
    )
    result = watcher.run_round()
    decision = next(d for d in result.decisions if d["issues"] == ["BOT-A"])
    assert decision["action"] == "skipped"
    assert decision["reason"].startswith(("run ", "already has run"))
    assert len(runs_of("BOT-A")) == 1


def test_dry_run_records_but_launches_nothing(
    watch_setup: tuple[LinearServer, Watcher],
) -> None:
    _server, watcher = watch_setup
    watcher.options.dry_run = True
    result = watcher.run_round()
    assert set(actions(result).values()) == {"would-launch"}
    assert list_runs() == []
    watcher.options.dry_run = False
    assert set(actions(watcher.run_round()).values()) == {"launched"}  # not marked by dry run


AGENT_WORKFLOW = """
name = "agentic"
agent = "demo"

[[steps]]
id = "hello"
prompt = "Say hello."
"""


def test_nothing_is_launched_while_the_workflows_agent_is_at_its_usage_limit(
    watch_setup: tuple[LinearServer, Watcher],
) -> None:
    _server, watcher = watch_setup
    (config_dir() / "workflows" / "agentic.toml").write_text(AGENT_WORKFLOW)
    watcher.options.workflow = "agentic"
    until = time.time() + 600
    record_limit(Store(), "demo", until, "You've hit your session limit · resets 4am")
    result = watcher.run_round()
    clock = time.strftime("%H:%M", time.localtime(until))
    why = f"agent demo is at its usage limit until {clock} (You've hit your session limit"
    assert {d["action"] for d in result.decisions} == {"skipped"}
    assert all(d["reason"].startswith(why) for d in result.decisions), result.decisions
    assert list_runs() == []
    record_limit(Store(), "demo", time.time() - 1, "You've hit your session limit")  # reset
    watcher.options.dry_run = True
    assert set(actions(watcher.run_round()).values()) == {"would-launch"}  # still candidates


def test_poll_cli_and_concurrent_rounds(watch_setup: tuple[LinearServer, Watcher]) -> None:
    _server, watcher = watch_setup
    socket_args = ("--socket", str(watcher.target.socket))
    with round_lock() as held:
        assert held
        busy = agenttui("poll", *socket_args, "--json")
        assert json.loads(busy.stdout)["status"] == "skipped"
    assert list_runs() == []
    done = json.loads(agenttui("poll", *socket_args, "--json").stdout)
    assert done["status"] == "ok" and len(done["decisions"]) == 2
    log = json.loads(agenttui("watch-log", "--json").stdout)
    assert [entry["status"] for entry in log] == ["ok", "skipped"]
    assert {d["action"] for d in log[0]["decisions"]} == {"launched"}


def test_poll_exits_1_when_linear_is_down(watch_setup: tuple[LinearServer, Watcher]) -> None:
    server, watcher = watch_setup
    server.fail(status=500, message="Internal error", times=3)
    result = agenttui("poll", "--socket", str(watcher.target.socket), check=False)
    assert result.returncode == 1
    assert "error" in result.stdout and "500" in result.stdout
    assert server.api_key not in result.stdout + result.stderr


def test_bad_filter_and_retrigger_are_named(watch_setup: tuple[LinearServer, Watcher]) -> None:
    result = agenttui("poll", "--filter", "nope", check=False)
    assert result.returncode == 2 and "[watch.filters.nope]" in result.stderr
    config_file().write_text('[watch]\nretrigger = ["sometimes"]\n')
    from workflows.base.config import load_config

    load_config.cache_clear()
    result = agenttui("poll", check=False)
    assert result.returncode == 2 and "retrigger 'sometimes'" in result.stderr


def test_watch_loop_runs_rounds_at_its_interval(
    watch_setup: tuple[LinearServer, Watcher],
) -> None:
    _server, watcher = watch_setup
    result = agenttui(
        "watch",
        "--every",
        "1s",
        "--rounds",
        "2",
        "--no-guard",
        "--no-timer",
        "--socket",
        str(watcher.target.socket),
        "--json",
        timeout=120,
    )
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert {d["action"] for d in first["decisions"]} == {"launched"}
    assert {d["action"] for d in second["decisions"]} == {"skipped"}
    assert len(list_runs()) == 2


def test_watch_starts_in_its_own_window_once(
    watch_setup: tuple[LinearServer, Watcher], tmux_server: TmuxServer
) -> None:
    from tests.support.waiting import wait_until
    from workflows.base.paths import state_dir

    server, _watcher = watch_setup
    started = json.loads(
        agenttui(
            "watch",
            "--window",
            "--every",
            "1h",
            "--no-guard",
            "--socket",
            tmux_server.socket,
            "--json",
        ).stdout
    )
    assert (
        tmux_server.cmd("display-message", "-p", "-t", started["pane"], "#{window_name}").strip()
        == "watch"
    )
    # Its first round launches the new issues, with the Linear key it got through its
    # launch file (read and deleted at start).
    wait_until(lambda: len(list_runs()) == 2, timeout=60, message="the window's first round")
    wait_until(
        lambda: not list((state_dir() / "launch").iterdir()),
        timeout=60,
        message="every launch file (the watcher's, its runners') read and deleted",
    )
    again = agenttui("watch", "--window", "--socket", tmux_server.socket, check=False)
    assert again.returncode == 2 and "already runs" in again.stderr
    command_lines = tmux_server.cmd("list-panes", "-a", "-F", "#{pane_start_command}")
    assert server.api_key not in command_lines


def test_round_survives_linear_unreachable(
    watch_setup: tuple[LinearServer, Watcher], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, watcher = watch_setup
    monkeypatch.setenv("LINEAR_API_URL", "http://127.0.0.1:9/graphql")  # nothing listens
    down = watcher.run_round()
    assert down.status == "error" and down.decisions == [] and "127.0.0.1:9" in down.error
    monkeypatch.setenv("LINEAR_API_URL", server.url)  # back: the next round launches as usual
    assert set(actions(watcher.run_round()).values()) == {"launched"}
