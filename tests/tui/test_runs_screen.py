"""Runs screen key paths on real runs (the runner in a private tmux server): the list shows
step and state; cancel asks, stops a running run and puts its issues' states back; resume
continues a failed one; L opens the log; a failed run says why; o/y open and copy a PR."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Log

from tests.support.environment import write_config
from tests.support.pilot import enabled_keys, project_with_workflows, until
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from tui.app import build_app
from tui.screens.confirm import ConfirmScreen
from tui.screens.run_log import RunLogScreen
from tui.screens.runs import RunsScreen
from widgets.key_bar import KeyBar
from widgets.run_list import note
from workflows.base.paths import agenttui_argv
from workflows.issues.local import LocalSource
from workflows.runs.run_store import RunStore, run_log_path
from workflows.runs.runner import cancel_run, launch_run

WORKFLOWS = {
    "tui-claim": """
        name = "tui-claim"
        description = "moves its issues to In Progress, then sleeps"
        worktree = false

        [[steps]]
        id = "claim"
        kind = "linear"
        state = "In Progress"

        [[steps]]
        id = "nap"
        run = "sleep 120"
    """,
    "tui-gate": """
        name = "tui-gate"
        description = "fails until a file exists"
        worktree = false

        [[steps]]
        id = "gate"
        run = "test -e gate-open"
        max_rounds = 1
    """,
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return project_with_workflows(tmp_path, monkeypatch, WORKFLOWS)


def status_of(screen: RunsScreen, run_id: str) -> str:
    run = screen.run_list.runs.get(run_id)
    return str(run.status) if run else ""


async def select_run(pilot: Any, screen: RunsScreen, run_id: str) -> None:
    await until(pilot, lambda: run_id in screen.run_list.runs, message=f"run {run_id} listed")
    table = screen.run_list
    table.move_cursor(row=table.get_row_index(run_id))
    await pilot.pause()


async def open_run(pilot: Any, run_id: str) -> RunsScreen:
    """The runs screen (key 3) with ``run_id`` highlighted."""
    app = pilot.app
    await pilot.press("3")
    screen: RunsScreen = await until(
        pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen
    )
    await select_run(pilot, screen, run_id)
    return screen


async def test_resume_a_failed_run_and_open_its_log(repo: Path, tmux_server: TmuxServer) -> None:
    run_id = launch_run("tui-gate", ["PCL-102"], target=tmux_server.target)
    app = build_app(tmux_server.target, poll_tiles=False)
    async with app.run_test(size=(140, 30)) as pilot:
        screen = await open_run(pilot, run_id)
        await until(
            pilot, lambda: status_of(screen, run_id) == "failed", timeout=60, message="failed"
        )
        assert "R" in enabled_keys(app)
        (repo / "gate-open").touch()
        await pilot.press("R")
        await until(
            pilot, lambda: status_of(screen, run_id) == "succeeded", timeout=60, message="resumed"
        )
        await pilot.press("L")
        log_screen = await until(
            pilot, lambda: isinstance(app.screen, RunLogScreen) and app.screen, message="log"
        )
        log = log_screen.query_one(Log)
        await until(pilot, lambda: "resum" in "\n".join(log.lines), message="resume in log")
        await pilot.press("escape")
        assert isinstance(app.screen, RunsScreen)


async def test_cancel_asks_naming_the_run_and_puts_issue_states_back(
    repo: Path, tmux_server: TmuxServer
) -> None:
    run_id = launch_run("tui-claim", ["PCL-156", "PCL-157"], target=tmux_server.target)
    source = LocalSource()
    app = build_app(tmux_server.target, poll_tiles=False)
    async with app.run_test(size=(140, 30)) as pilot:
        screen = await open_run(pilot, run_id)
        await until(
            pilot,
            lambda: screen.run_list.runs[run_id].current_step == "nap",
            message="claimed and sleeping",
        )
        assert source.get_issue("PCL-156").state == "In Progress"
        assert "C" in enabled_keys(app) and "R" not in enabled_keys(app)
        await pilot.press("C")
        confirm = await until(
            pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen, message="asked"
        )
        assert confirm.title_text == f"Cancel run {run_id} (tui-claim on PCL-156, PCL-157)?"
        details = "\n".join(confirm.lines)
        assert "at step nap" in details and "earlier state" in details
        await pilot.press("n")  # not cancelled
        await pilot.pause(0.5)
        assert status_of(screen, run_id) == "running"
        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), message="asked again")
        await pilot.press("y")
        await until(
            pilot, lambda: status_of(screen, run_id) == "cancelled", timeout=60, message="cancel"
        )
        assert "C" not in enabled_keys(app)

    def states() -> dict[str, str]:
        return {issue: source.get_issue(issue).state for issue in ("PCL-156", "PCL-157")}

    wait_until(  # the runner puts them back as it stops
        lambda: states() == {"PCL-156": "Todo", "PCL-157": "Todo"}, timeout=30, message="Todo"
    )
    log = run_log_path(run_id).read_text()
    assert "state on PCL-156: back to Todo (run cancelled)" in log
    again = subprocess.run(
        [*agenttui_argv(), "cancel", run_id], capture_output=True, text=True, check=False
    )
    assert again.returncode == 2
    assert f"run {run_id} already cancelled: nothing to cancel" in again.stderr


async def test_a_queued_run_shows_what_it_waits_for_and_cancels_before_it_starts(
    repo: Path, tmux_server: TmuxServer
) -> None:
    write_config("[runs]\nmax_running = 1\n")
    working = launch_run("tui-claim", ["PCL-156"], target=tmux_server.target)
    waiting = launch_run("tui-gate", ["PCL-102"], target=tmux_server.target)
    app = build_app(tmux_server.target, poll_tiles=False)
    async with app.run_test(size=(160, 30)) as pilot:
        screen = await open_run(pilot, waiting)
        assert status_of(screen, waiting) == "queued"
        run = screen.run_list.runs[waiting]
        assert run.attention == f"max_running 1 reached ({working} working)"
        assert f"max_running 1 reached ({working} working)" in note(run)  # its column
        assert "C" in enabled_keys(app) and "R" not in enabled_keys(app)
        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), message="asked")
        await pilot.press("y")
        await until(
            pilot, lambda: status_of(screen, waiting) == "cancelled", timeout=30, message="cancel"
        )
    assert not [e for e in RunStore().events(waiting) if e["kind"] in ("admitted", "runner")]
    assert cancel_run(working, target=tmux_server.target) in ("cancelling", "cancelled")


async def test_a_failed_run_says_why_and_a_pr_opens_and_copies_at_80x24(
    repo: Path, tmux_server: TmuxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failed = launch_run("tui-gate", ["PCL-102"], target=tmux_server.target)
    runs = RunStore()
    done = runs.create("quick-fix", {}, ["PCL-103"], {})
    url = "https://github.com/acme/shipping/pull/1234"
    runs.update(done.id, pr_url=url, current_step="report")
    runs.finish(done.id, "succeeded")
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\necho "$1" >> {opened}\n')
    browser.chmod(0o755)
    monkeypatch.setenv("BROWSER", str(browser))  # what Python's webbrowser runs
    app = build_app(tmux_server.target, poll_tiles=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_run(pilot, failed)
        await until(pilot, lambda: status_of(screen, failed) == "failed", timeout=60)
        summary = str(screen.query_one("#runs-summary").render())
        assert "failed at gate" in summary
        assert (
            "why: step 'gate' did not pass after 1 round(s): `test -e gate-open` exited" in summary
        )
        await select_run(pilot, screen, done.id)
        summary = str(screen.query_one("#runs-summary").render())
        assert f"PR: {url}" in summary  # whole, at 80 columns
        bar = screen.query_one(KeyBar).render().plain
        assert "o Open PR" in bar and "y Copy PR" in bar and "? Help" in bar
        assert not bar.rstrip().endswith("…")  # nothing cut: the app's keys gave way
        palette = [command.title for command in app.get_system_commands(screen)]
        assert {"Open PR", "Copy PR"} <= set(palette)  # the palette offers them too
        await pilot.press("y")
        assert app.clipboard == url
        await pilot.press("o")
        await until(pilot, lambda: opened.exists() and url in opened.read_text(), message="opened")
