"""SVG snapshots of every screen (update with --snapshot-update after checking the diff).

Nothing in a snapshot depends on the wall clock or chance: the runs screen gets a fixed
clock and fixed runs, tiles show demo agents in states whose screens do not change, the
filter cursor does not blink, and agents are waiting before the app starts (no toast).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from tests.support.pilot import FROZEN_NOW, triage_ready, until
from tests.support.tmux import private_target, spawn_demo
from tests.support.waiting import wait_until
from tui.app import AgentTuiApp, build_app
from tui.screens.agents import AgentsScreen
from tui.screens.help import HelpScreen
from tui.screens.runs import RunsScreen
from tui.screens.workflow_picker import WorkflowPicker
from tui.services import Services
from workflows.agents.observe import read_state
from workflows.runs.records import RunStatus, RunSummary
from workflows.tmux.driver import TmuxDriver

SIZE = (120, 34)


def test_triage_snapshot(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await triage_ready(pilot)
        # Suggested groups are left out: their reason text orders shared terms differently
        # from run to run (set order), which a snapshot must not depend on.
        await pilot.press("space", "down", "space", "g", "down", "down", "space")
        await pilot.pause()

    assert snap_compare(
        build_app(private_target(), poll_tiles=False), terminal_size=SIZE, run_before=run_before
    )


def test_workflow_picker_snapshot(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await triage_ready(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(pilot.app.screen, WorkflowPicker))
        await pilot.pause()

    assert snap_compare(
        build_app(private_target(), poll_tiles=False), terminal_size=SIZE, run_before=run_before
    )


def test_help_snapshot(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await triage_ready(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))
        await pilot.pause()

    assert snap_compare(
        build_app(private_target(), poll_tiles=False), terminal_size=SIZE, run_before=run_before
    )


class FixedRuns(Services):
    """Fixed run summaries: real runs have random ids and wall-clock times."""

    def runs(self) -> list[RunSummary]:
        start = FROZEN_NOW - 3600
        return [
            replace(RUN, id="r-7f3a", issues=["PCL-120", "PCL-121"], status=RunStatus.RUNNING,
                    current_step="review", created_at=start + 1800),
            replace(RUN, id="r-19c2", workflow="quick-fix", issues=["PCL-133"],
                    status=RunStatus.SUCCEEDED, current_step="report",
                    pr_url="https://github.com/acme/shipping/pull/42", created_at=start,
                    finished_at=start + 754),
            replace(RUN, id="r-0b44", issues=["PCL-142"], status=RunStatus.FAILED,
                    current_step="test", created_at=start + 60, finished_at=start + 1260,
                    error="step 'test' did not pass after 3 round(s): `make test` exited with "
                          "code 2. … FAILED tests/test_webhooks.py::test_retry_after"),
        ]  # fmt: skip


RUN = RunSummary(
    id="", workflow="feedback", issues=[], status=RunStatus.PENDING, current_step=None,
    pr_url=None, error=None, attention=None, branch=None, worktree=None, cleaned=False,
    created_at=0.0, updated_at=0.0, finished_at=None,
)  # fmt: skip


def runs_app_and_steps(row: int) -> tuple[AgentTuiApp, Any]:
    app = AgentTuiApp(FixedRuns(private_target()), clock=lambda: FROZEN_NOW, poll_tiles=False)

    async def run_before(pilot: Any) -> None:
        await pilot.press("3")
        await until(pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen.run_list.runs)
        app.screen.run_list.move_cursor(row=row)
        await pilot.pause()

    return app, run_before


def test_runs_snapshot(snap_compare: Any) -> None:
    app, run_before = runs_app_and_steps(2)  # the failed run: why, under the list
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_runs_snapshot_80x24(snap_compare: Any) -> None:
    app, run_before = runs_app_and_steps(1)  # the PR link whole; the keys fit
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_triage_snapshot_80x24(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await triage_ready(pilot)

    assert snap_compare(
        build_app(private_target(), poll_tiles=False), terminal_size=(80, 24), run_before=run_before
    )


def test_agents_snapshot(snap_compare: Any, driver: TmuxDriver, tmp_path: Path) -> None:
    spawn_demo(
        driver, tmp_path / "a", name="asks", prompt="Please run command `make test` now", work=None
    )
    spawn_demo(
        driver, tmp_path / "b", name="done", prompt="Summarise the issue [work 0s]", work=None
    )
    spawn_demo(driver, tmp_path / "c", name="fresh", prompt="", work=None)

    def settled() -> bool:
        wanted = {"asks": "awaiting_approval", "done": "idle", "fresh": "idle"}
        panes = {pane.name: pane for pane in driver.panes() if pane.name in wanted}
        return len(panes) == 3 and all(
            read_state(driver, panes[name]).state.value == state for name, state in wanted.items()
        )

    wait_until(settled, timeout=30, message="demo agents in steady states")
    app = build_app(driver.target)

    async def run_before(pilot: Any) -> None:
        await pilot.press("2")
        screen = await until(pilot, lambda: isinstance(app.screen, AgentsScreen) and app.screen)
        await until(pilot, lambda: len(screen.grid.tiles) == 3)
        await until(
            pilot,
            lambda: all(
                tile.view.model is not None
                and "agenttui demo agent" in "".join(tile.view.model.text_lines())
                for tile in screen.grid.tiles
            ),
            message="every tile mirrored",
        )
        await until(pilot, lambda: screen.grid.focused_tile is not None)
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(150, 40), run_before=run_before)
