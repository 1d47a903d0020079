"""`agenttui demo` shows the feedback workflow end to end offline: its own run on a group of
sample issues reaches a pull request on the demo's forge (a real process in the session's
``forge`` window) through a real sample git project, and a run launched the way the triage
screen launches one (``Services.launch``) with the demo config does the same."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.cli import start_demo
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.base.config import load_config
from workflows.base.target import TmuxTarget
from workflows.demo.project import DEMO_ISSUES, DEMO_TOKEN
from workflows.issues.local import LocalSource
from workflows.runs.run_store import RunStore

RUN_TIMEOUT_S = 240  # a loaded 2-core machine runs six engineers' tests at once


def wait_for_end(run_id: str) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        summary = RunStore().get(run_id).summary()
        return summary.as_json() if summary.status in ("succeeded", "failed", "cancelled") else None

    return wait_until(ended, timeout=RUN_TIMEOUT_S, interval=0.5, message=f"run {run_id} to end")


def forge_pulls(forge: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {DEMO_TOKEN}"}
    response = httpx.get(f"{forge}/repos/demo/sample/pulls", headers=headers, timeout=10)
    response.raise_for_status()
    return list(response.json())


def log(run_id: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "tui", "log", run_id], capture_output=True, text=True, check=False
    ).stdout


def test_demo_run_and_a_triage_launch_reach_pull_requests_offline(
    tmux_server: TmuxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workflows.base.paths import config_file

    assert "LINEAR_API_KEY" not in os.environ and "GITHUB_TOKEN" not in os.environ
    result = start_demo(tmux_server.socket)
    config = Path(result["config"])
    assert config.parent.name == "demo" and config != config_file()  # the user's stays untouched
    assert not config_file().exists()
    windows = tmux_server.cmd("list-windows", "-t", "=agenttui", "-F", "#{window_name}").split()
    assert {"forge", "agenttui", f"run-{result['run']}"} <= set(windows)

    summary = wait_for_end(result["run"])
    assert summary["status"] == "succeeded", log(result["run"])

    def window_names() -> list[str]:
        return tmux_server.cmd("list-windows", "-t", "=agenttui", "-F", "#{window_name}").split()

    # A run that succeeded closes its own window once it has recorded the end.
    wait_until(
        lambda: f"run-{result['run']}" not in window_names(),
        timeout=30,
        message="the succeeded run's window to close",
    )
    # keep_agents: the demo run's agents stay on the agents screen for a look.
    windows = window_names()
    assert {f"{result['run']}-main", f"{result['run']}-reviewer"} <= set(windows)
    (pull,) = forge_pulls(result["forge"])
    assert summary["pr_url"] == pull["html_url"] and pull["head"]["ref"] == summary["branch"]
    assert pull["title"].startswith("PCL-101: ")
    # The test step ran the sample project's real unit tests.
    test_output = RunStore().latest_outputs(result["run"])["test"]["output"]
    assert "Ran 2 tests" in test_output and "OK" in test_output
    # The change reached the demo's bare origin, and the PR's page shows its diff.
    remote = Path(result["repo"]).parent / "origin.git"
    branches = subprocess.run(
        ["git", "--git-dir", str(remote), "branch", "--list"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert summary["branch"] in branches
    page = httpx.get(pull["html_url"], timeout=10)
    assert page.status_code == 200 and "DEMO_CHANGES.md" in page.text
    # The local issues got the PR: comment, link and state (kept in the store).
    for issue_id in DEMO_ISSUES:
        issue = LocalSource().get_issue(issue_id)
        assert issue.state == "In Review"
        assert any(pull["html_url"] in comment.body for comment in issue.comments)

    # Running the demo again reuses everything: same run, same forge, no new windows.
    again = start_demo(tmux_server.socket)
    assert (again["run"], again["forge"], again["agents"]) == (
        result["run"], result["forge"], result["agents"],
    )  # fmt: skip
    assert sorted(window_names()) == sorted(windows)

    # The app (in the demo's window, with the demo config) lists the run on its runs screen.
    def app_screen() -> str:
        return tmux_server.cmd("capture-pane", "-p", "-t", "=agenttui:agenttui")

    wait_until(lambda: "PCL-1" in app_screen(), timeout=90, message="the app's issue list")
    tmux_server.cmd("send-keys", "-t", "=agenttui:agenttui", "3")
    wait_until(
        lambda: result["run"] in app_screen() and "succeeded" in app_screen(),
        timeout=90,
        message="the demo run on the app's runs screen",
    )

    # The triage screen's launch, in the demo app's environment.
    from tui.services import Services

    monkeypatch.setenv("AGENTTUI_CONFIG", str(config))
    monkeypatch.setenv("GITHUB_API_URL", result["forge"])
    monkeypatch.setenv("GITHUB_TOKEN", DEMO_TOKEN)
    load_config.cache_clear()
    try:
        services = Services(TmuxTarget(tmux_server.socket, "agenttui"))
        launched = services.launch("feedback", ["PCL-130", "PCL-131"])
        services.close()
        second = wait_for_end(launched)
    finally:
        load_config.cache_clear()
    assert second["status"] == "succeeded", log(launched)
    pulls = forge_pulls(result["forge"])
    assert [p["html_url"] for p in pulls] == [pull["html_url"], second["pr_url"]]
    assert pulls[1]["title"].startswith("PCL-130: ")
    assert any(second["pr_url"] in c.body for c in LocalSource().get_issue("PCL-131").comments)

    # A new tmux server (a reboot, a closed tmux): the demo restarts the forge, which kept its
    # pull requests, and shows the feedback run once more; it ends on the same open PR.
    tmux_server.cmd("kill-server")
    wait_until(lambda: forge_down(result["forge"]), timeout=30, message="the forge to stop")
    third = start_demo(tmux_server.socket)
    assert third["run"] != result["run"]
    replay = wait_for_end(third["run"])
    assert replay["status"] == "succeeded", log(third["run"])
    assert replay["pr_url"] == pull["html_url"] and len(forge_pulls(third["forge"])) == 2


def forge_down(forge: str) -> bool:
    try:
        httpx.get(f"{forge}/", timeout=2)
    except httpx.HTTPError:
        return True
    return False
