"""SVG snapshots of the views a person expects, at 80x24 and 200x50: a run's detail (its
timeline and a step's notes, its diff), the issue detail beside the list, talking to an
agent, starting one, and a confirmation that names what goes. Fixed data and a fixed
clock: nothing in them depends on the wall clock, random ids or a live tmux server."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input

from tests.support.pilot import FROZEN_NOW, triage_ready, until
from tests.support.tmux import private_target
from tui.app import AgentTuiApp, build_app
from tui.screens.confirm import ConfirmScreen
from tui.screens.run_detail import RunDetailScreen
from tui.screens.start_agent import StartAgentScreen
from tui.screens.talk import TalkScreen
from tui.services import Services, StartChoices
from widgets.step_timeline import StepTimeline
from workflows.runs.cleanup import CleanPlan
from workflows.runs.detail import AttemptView, RunDetail, StepView
from workflows.runs.records import RunStatus, RunSummary

SIZES = [(80, 24), (200, 50)]
START = FROZEN_NOW - 900
REVIEW = """VERDICT: FAIL

## Findings
- `parse_label()` drops the **last** line of a 4x6 label.
- No test covers the ZPL header.

Fix both, then ask for another review.
"""
DIFF = "\n".join([
    "diff --git a/labels/zpl.py b/labels/zpl.py",
    "index 3f1c2aa..9d0e4b1 100644",
    "--- a/labels/zpl.py",
    "+++ b/labels/zpl.py",
    "@@ -10,7 +10,8 @@ def parse_label(text: str) -> list[str]:",
    "     lines = text.splitlines()",
    "-    return lines[:-1]",
    "+    # keep the last line: 4x6 labels end with the barcode",
    "+    return lines",
    " ",  # a blank context line
    " def header(width: int) -> str:",
]) + "\n"  # fmt: skip


def attempt(seq: int, round_: int, status: str, took: float, output: str = "", *,
            role: str = "step", error: str | None = None) -> AttemptView:  # fmt: skip
    start = START + seq * 60
    return AttemptView(seq, round_, role, status, start, start + took, error, output)


def step(id_: str, kind: str, status: str, attempts: list[AttemptView], **extra: Any) -> StepView:
    return StepView(id=id_, kind=kind, description=extra.get("description", ""), status=status,
                    output_file=extra.get("output_file"), max_rounds=extra.get("max_rounds", 1),
                    loops=extra.get("loops", False), attempts=attempts)  # fmt: skip


FIXED_DETAIL = RunDetail(
    summary=RunSummary(
        id="r7f3a21", workflow="feedback", issues=["PCL-120", "PCL-121"],
        status=RunStatus.FAILED, current_step="test", branch="ada/pcl-120-thermal-labels",
        pr_url="https://github.com/acme/shipping/pull/42", attention=None,
        error="step 'test' did not pass after 3 round(s): FAILED tests/test_zpl.py::test_header",
        worktree="/srv/worktrees/shipping-r7f3a21", cleaned=False,
        created_at=START, updated_at=START + 754, finished_at=START + 754,
    ),
    steps=[
        step("claim", "linear", "done", [attempt(0, 1, "done", 1, "3 action(s) on the issues")]),
        step("refine-1", "agent", "done", [attempt(1, 1, "done", 95, "# Refined\n\nOK")],
             output_file=".agenttui/refine-1.md"),
        step("plan", "agent", "done", [attempt(2, 1, "done", 64, "1. fix\n2. test")],
             output_file=".agenttui/plan.md"),
        step("implement", "agent", "done", [
            attempt(3, 1, "done", 212, "Changed `labels/zpl.py`."),
            attempt(5, 1, "done", 80, "Kept the last line.", role="remedy"),
        ], output_file=".agenttui/implement.md"),
        step("review", "agent", "done", [
            attempt(4, 1, "failed", 41, REVIEW, error="did not pass"),
            attempt(6, 2, "done", 38, "VERDICT: PASS\n\nLooks right now."),
        ], output_file=".agenttui/review.md", max_rounds=3, loops=True),
        step("test", "shell", "failed", [
            attempt(7, 1, "failed", 12, "FAILED tests/test_zpl.py::test_header\n1 failed",
                    error="exit status 1"),
        ], max_rounds=3, loops=True),
        step("pr", "pull_request", "pending", []),
        step("report", "linear", "pending", []),
    ],
    base="main", repo="/srv/shipping", read_at=FROZEN_NOW,
)  # fmt: skip


class FixedRun(Services):
    """One fixed run and its diff (a real run has random ids and wall-clock times)."""

    def run_detail(self, run_id: str) -> Any:
        return FIXED_DETAIL

    def run_diff(self, worktree: str, base: str) -> str:
        return DIFF

    def run_log(self, run_id: str) -> str:
        return "/nonexistent/agenttui-snapshot.log"

    def runs(self) -> list[RunSummary]:
        return [FIXED_DETAIL.summary]


async def show_detail(pilot: Any, step_row: int | None = None, tab: str = "") -> None:
    app = pilot.app
    await pilot.press("3")  # opened from the runs screen
    app.push_screen(RunDetailScreen("r7f3a21"))
    screen = await until(pilot, lambda: isinstance(app.screen, RunDetailScreen) and app.screen)
    await until(pilot, lambda: screen.detail is not None)
    timeline = screen.query_one(StepTimeline)
    if step_row is not None:
        timeline.highlighted = step_row
    if tab:
        await pilot.press(tab)
    await app.workers.wait_for_complete()
    await pilot.pause(0.2)


def fixed_app() -> AgentTuiApp:
    return AgentTuiApp(FixedRun(private_target()), clock=lambda: FROZEN_NOW, poll_tiles=False)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "200x50"])
def test_run_detail_timeline_snapshot(snap_compare: Any, size: tuple[int, int]) -> None:
    async def run_before(pilot: Any) -> None:
        await show_detail(pilot, step_row=7)  # review, round 1: the failing verdict

    assert snap_compare(fixed_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "200x50"])
def test_run_detail_diff_snapshot(snap_compare: Any, size: tuple[int, int]) -> None:
    async def run_before(pilot: Any) -> None:
        await show_detail(pilot, tab="D")

    assert snap_compare(fixed_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "200x50"])
def test_issue_detail_snapshot(snap_compare: Any, size: tuple[int, int]) -> None:
    async def run_before(pilot: Any) -> None:
        await triage_ready(pilot)
        screen = pilot.app.screen
        await until(pilot, lambda: "Comments" in str(screen.query_one("#comments-title").render()))
        await pilot.pause(0.5)  # the detail loads after the cursor rests
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.2)

    assert snap_compare(
        build_app(private_target(), poll_tiles=False), terminal_size=size, run_before=run_before
    )


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "200x50"])
def test_talk_snapshot(snap_compare: Any, size: tuple[int, int]) -> None:
    async def run_before(pilot: Any) -> None:
        await pilot.press("2")
        await pilot.app.push_screen(TalkScreen("rc8a43c-main"))
        talk = await until(
            pilot, lambda: isinstance(pilot.app.screen, TalkScreen) and pilot.app.screen
        )
        field = talk.query_one(Input)
        field.cursor_blink = False
        field.value = "Also cover the ZPL header in the tests"
        await pilot.pause(0.2)

    app = AgentTuiApp(FixedRun(private_target()), clock=lambda: FROZEN_NOW, poll_tiles=False)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "200x50"])
def test_clean_confirmation_snapshot(snap_compare: Any, size: tuple[int, int]) -> None:
    plans = [
        CleanPlan("r7f3a21", "failed", ["r7f3a21-runner (%4)", "r7f3a21-main (%5)"],
                  "/srv/worktrees/shipping-r7f3a21", "ada/pcl-120-thermal-labels"),
        CleanPlan("r19c2e0", "succeeded", refused="worktree /srv/worktrees/shipping-r19c2e0 "
                  "has uncommitted changes: notes.txt"),
    ]  # fmt: skip

    async def run_before(pilot: Any) -> None:
        await pilot.press("3")
        lines = [line for plan in plans for line in plan.lines()]
        lines.append("Kept: the runs' records and logs, and their branches.")
        pilot.app.push_screen(ConfirmScreen("Clean run r7f3a21?", lines, confirm="Clean"))
        await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.pause(0.2)

    assert snap_compare(fixed_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "200x50"])
def test_start_agent_snapshot(snap_compare: Any, size: tuple[int, int]) -> None:
    choices = StartChoices(
        profiles=[("claude", "Claude Code"), ("codex", "OpenAI Codex CLI"),
                  ("demo", "Offline demo agent (no model, no network)")],
        folder="/home/ada/src/shipping", repo="/home/ada/src/shipping", default_profile="claude",
    )  # fmt: skip

    async def run_before(pilot: Any) -> None:
        await pilot.press("2")
        form = StartAgentScreen(choices)
        await pilot.app.push_screen(form)
        for field in form.query(Input):
            field.cursor_blink = False
        form.query_one("#start-prompt", Input).value = "Fix PCL-156: wrong Eircode lookups"
        await pilot.pause(0.2)

    assert snap_compare(fixed_app(), terminal_size=size, run_before=run_before)
