"""Runs screen key paths on real runs (the runner in a private tmux server): the list shows
step and state; cancel stops a running run; resume continues a failed one; L opens the log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Log

from tests.conftest import TmuxServer
from tests.tui.pilot_helpers import enabled_keys, project_with_workflows, until
from tui.app import build_app
from tui.screens.run_log import RunLogScreen
from tui.screens.runs import RunsScreen
from workflows.runner import launch_run

WORKFLOWS = {
    "tui-sleep": """
        name = "tui-sleep"
        description = "sleeps"
        worktree = false

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
    return str(screen.run_list.runs.get(run_id, {}).get("status", ""))


async def select_run(pilot: Any, screen: RunsScreen, run_id: str) -> None:
    await until(pilot, lambda: run_id in screen.run_list.runs, message=f"run {run_id} listed")
    table = screen.run_list
    table.move_cursor(row=table.get_row_index(run_id))
    await pilot.pause()


async def test_cancel_a_running_run(repo: Path, tmux_server: TmuxServer) -> None:
    run_id = launch_run("tui-sleep", ["PCL-101"], socket=tmux_server.socket)
    app = build_app(tmux_server.socket, poll_tiles=False)
    async with app.run_test(size=(140, 30)) as pilot:
        await pilot.press("3")
        screen = await until(pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen)
        await select_run(pilot, screen, run_id)
        await until(
            pilot,
            lambda: (
                status_of(screen, run_id) == "running"
                and screen.run_list.runs[run_id]["current_step"] == "nap"
            ),
            message="running its step",
        )
        assert "C" in enabled_keys(app) and "R" not in enabled_keys(app)
        await pilot.press("C")
        await until(
            pilot, lambda: status_of(screen, run_id) == "cancelled", timeout=60, message="cancel"
        )
        assert "C" not in enabled_keys(app)


async def test_resume_a_failed_run_and_open_its_log(repo: Path, tmux_server: TmuxServer) -> None:
    run_id = launch_run("tui-gate", ["PCL-102"], socket=tmux_server.socket)
    app = build_app(tmux_server.socket, poll_tiles=False)
    async with app.run_test(size=(140, 30)) as pilot:
        await pilot.press("3")
        screen = await until(pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen)
        await select_run(pilot, screen, run_id)
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
