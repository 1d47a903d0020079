"""A run's detail, driven by keys on real runs (runner and demo agents in a private tmux
server, a real git project): Enter on the runs screen opens it (bug 6), the timeline shows
each step's state, rounds and time, a step's notes render as Markdown, the failure reason
shows, the run's agents are live tiles, the diff against the base is highlighted, L shows the
log there and still opens the log from the runs screen; o / y hand the PR link over."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Log, Markdown, Static

from tests.support.pilot import enabled_keys, open_detail, project_with_workflows, run_status, until
from tests.support.tmux import private_target
from tests.support.waiting import wait_until
from tui.app import build_app
from tui.screens.confirm import ConfirmScreen
from tui.screens.run_detail import RunDetailScreen
from tui.screens.run_log import RunLogScreen
from tui.screens.runs import RunsScreen
from widgets.diff_view import DiffView
from widgets.step_output import StepOutput
from widgets.step_timeline import StepTimeline
from workflows.runs.run_store import RunStore
from workflows.runs.runner import launch_run

WORKFLOWS = {
    "detail-sleep": """
        name = "detail-sleep"
        worktree = false

        [[steps]]
        id = "nap"
        run = "sleep 120"
    """,
    "detail-gate": """
        name = "detail-gate"
        description = "fails until a file exists"
        worktree = false

        [[steps]]
        id = "gate"
        run = "echo looking for the gate; test -e gate-open"
        max_rounds = 1
    """,
    "detail-flow": """
        name = "detail-flow"
        description = "notes, an implementation, a check that loops back to it and fails"
        agent = "demo"
        test_command = "test -e gate-open"

        [[steps]]
        id = "notes"
        prompt = "Notes on [bold]markup[/bold] stay text. Write your answer to the file: {output}"
        output = ".agenttui/notes.md"

        [[steps]]
        id = "implement"
        prompt = "Implement it. Write your answer to the file: {output}"
        retry_prompt = "Implement the fix for {failure}. Write your answer to the file: {output}"
        output = ".agenttui/implement.md"

        [[steps]]
        id = "check"
        run = "{test_command}"
        on_fail = "implement"
        max_rounds = 2
    """,
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tmux_server: Any) -> Path:
    return project_with_workflows(tmp_path, monkeypatch, WORKFLOWS)


def timeline_rows(screen: RunDetailScreen) -> list[str]:
    timeline = screen.query_one(StepTimeline)
    return [
        str(timeline.get_option_at_index(index).prompt) for index in range(timeline.option_count)
    ]


def static_text(screen: RunDetailScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def markdown_text(widget: Markdown) -> str:
    """What the Markdown widget shows, as plain text: the rows its blocks draw."""
    return "\n".join(
        block.render_line(y).text
        for block in widget.query(Static)
        for y in range(block.size.height)
    )


async def test_enter_opens_the_run_detail_and_the_log_key_stays(repo: Path) -> None:
    run_id = launch_run("detail-gate", ["PCL-102"], target=private_target())
    wait_until(lambda: run_status(run_id) == "failed", timeout=60, message="the gate to fail")
    app = build_app(private_target(), poll_tiles=False)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await open_detail(pilot, run_id)
        await until(pilot, lambda: timeline_rows(screen), message="the timeline")
        assert timeline_rows(screen)[0].startswith("✗ gate")
        summary = static_text(screen, "#run-summary")
        assert "failed" in summary and "did not pass after 1 round(s)" in summary
        # The failed step's own output and reason, shown as a code block and an error.
        output = screen.query_one(StepOutput)
        await until(
            pilot, lambda: "looking for the gate" in markdown_text(output.query_one(Markdown))
        )
        assert "exit" in static_text(screen, "#step-error") or static_text(screen, "#step-error")
        assert "R" in enabled_keys(app) and "o" not in enabled_keys(app)  # no PR yet
        await pilot.press("L")  # the log, in the detail
        log = screen.query_one("#run-log", Log)
        await until(pilot, lambda: screen.tabs.active == "log" and log.line_count, message="log")
        assert any("gate" in line for line in log.lines)
        await pilot.press("escape")
        assert isinstance(app.screen, RunsScreen)
        await pilot.press("L")  # L on the runs screen still opens the log
        await until(pilot, lambda: isinstance(app.screen, RunLogScreen), message="log screen")


async def test_timeline_notes_tiles_and_diff_of_a_looping_run(repo: Path) -> None:
    run_id = launch_run("detail-flow", ["PCL-101"], target=private_target())
    wait_until(lambda: run_status(run_id) == "failed", timeout=180, message="the run to fail")
    app = build_app(private_target())
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_detail(pilot, run_id)
        await until(pilot, lambda: len(timeline_rows(screen)) > 3, message="the timeline")
        rows = timeline_rows(screen)
        # notes done; implement ran twice (its own round, then to fix the check); the
        # check failed twice: a loop's rounds each get a row, with their time.
        assert rows[0].startswith("✓ notes")
        assert rows[1].startswith("✓ implement ")
        assert rows[2].startswith("✓   round 1") and rows[3].startswith("✓   fix 1")
        check = next(index for index, row in enumerate(rows) if row.startswith("✗ check ×2"))
        assert rows[check + 1].strip().startswith("✗   round 1")
        assert rows[check + 2].strip().startswith("✗   round 2")
        assert all(row.rstrip()[-1] == "s" for row in rows)  # every attempt has a duration
        assert "did not pass after 2 round(s)" in static_text(screen, "#run-summary")

        # The notes step's file, rendered as Markdown: the heading without its '#', and
        # text that looks like markup shown as it was written.
        await pilot.press("home")
        body = screen.query_one(StepOutput).query_one(Markdown)
        await until(pilot, lambda: "Answer to prompt #1" in markdown_text(body), message="notes")
        shown = markdown_text(body)
        assert "# Answer" not in shown and "[bold]markup[/bold]" in shown

        # The run's agent as a live tile (a failed run keeps its agents).
        await pilot.press("T")
        await until(pilot, lambda: screen.grid.tiles, message="the run's agent tile")
        names = [tile.info.name for tile in screen.grid.tiles]
        assert f"{run_id}-main" in names
        tile = next(tile for tile in screen.grid.tiles if tile.info.name == f"{run_id}-main")
        await until(
            pilot,
            lambda: (
                tile.view.model is not None
                and "agenttui demo agent" in "\n".join(tile.view.model.text_lines())
            ),
            message="the tile mirrored",
        )
        assert "t" in enabled_keys(app)  # tile keys apply on this tab

        # The worktree's diff against main, highlighted: added lines tinted green.
        await pilot.press("D")
        diff = screen.query_one(DiffView)
        await until(pilot, lambda: any("DEMO_CHANGES.md" in str(line) for line in diff.lines))
        added = [line for line in diff.lines if line.text.startswith("+- change for prompt")]
        assert added and any(segment.style and segment.style.bgcolor for segment in added[0]), (
            "added lines are tinted"
        )
        assert "t" not in enabled_keys(app)  # no tile keys while the tiles are hidden


async def test_open_and_copy_the_pull_request(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = launch_run("detail-gate", ["PCL-103"], target=private_target())
    wait_until(lambda: run_status(run_id) == "failed", timeout=60, message="the gate to fail")
    url = "https://github.com/acme/app/pull/7"
    RunStore().update(run_id, pr_url=url)
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {opened}\n')
    browser.chmod(browser.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("BROWSER", f"{browser} %s")  # a browser that writes down the URL
    app = build_app(private_target(), poll_tiles=False)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await open_detail(pilot, run_id)
        await until(pilot, lambda: url in static_text(screen, "#run-summary"))
        assert {"o", "y"} <= enabled_keys(app)
        await pilot.press("y")
        assert app.clipboard == url
        await pilot.press("o")
        await until(pilot, lambda: opened.exists() and opened.read_text() == url)


async def test_cancel_from_the_detail_asks_first(repo: Path, tmux_server: Any) -> None:
    run_id = launch_run("detail-sleep", ["PCL-104"], target=private_target())
    app = build_app(private_target(), poll_tiles=False)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await open_detail(pilot, run_id)
        await until(
            pilot,
            lambda: timeline_rows(screen)[:1] and timeline_rows(screen)[0].startswith("● nap"),
            timeout=60,
            message="nap running",
        )
        assert "C" in enabled_keys(app) and "X" not in enabled_keys(app)
        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), message="asked")
        await pilot.press("n")
        assert run_status(run_id) == "running"
        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: run_status(run_id) == "cancelled", timeout=60, message="gone")
        await until(pilot, lambda: timeline_rows(screen)[0].startswith("⊘ nap"), timeout=30)
        await until(pilot, lambda: "X" in enabled_keys(app), message="now it can be cleaned")
