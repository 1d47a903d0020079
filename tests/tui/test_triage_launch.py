"""Triage as a person uses it all day: the list (and the detail beside it) keeps itself
current, groups never share an issue, launching names exactly what starts and warns (and
asks) before reusing a run's branch and pull request, suggestions skip finished work,
escape clears the filter too."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Static

from tests.support.pilot import shown, until
from tests.support.tmux import private_target
from tui.app import build_app
from tui.screens import triage
from tui.screens.confirm import ConfirmScreen
from tui.screens.triage import TriageScreen
from tui.screens.workflow_picker import WorkflowPicker
from widgets.issue_detail import IssueDetail
from widgets.issue_table import IssueTable
from widgets.key_bar import KeyBar
from workflows.issues.local import LocalSource
from workflows.runs.run_store import RunStore, list_runs


async def loaded(pilot: Any) -> TriageScreen:
    screen = pilot.app.screen
    assert isinstance(screen, TriageScreen)
    await until(pilot, lambda: screen.loaded and len(screen.table.issues) == 32, message="issues")
    return screen


def row_of(table: IssueTable, identifier: str) -> str:
    index = next(i for i, issue in enumerate(table.issues) if issue.identifier == identifier)
    table.scroll_to(y=0, animate=False)
    table.cursor = index
    return table.render_line(index - round(table.scroll_offset.y) + 1).text


def move_to(table: IssueTable, identifier: str) -> None:
    table.cursor = next(i for i, issue in enumerate(table.issues) if issue.identifier == identifier)


async def test_states_a_run_changes_show_without_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(triage, "ISSUE_POLL_S", 0.3)
    app = build_app(private_target(), poll_tiles=False)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await loaded(pilot)
        assert "In Progress" in row_of(screen.table, "PCL-101")  # (highlights it)
        detail = screen.query_one(IssueDetail)
        await until(pilot, lambda: screen._detail_for == "PCL-101", message="its full detail")
        assert "In Progress ·" in shown(detail)
        LocalSource().set_state("PCL-101", "In Review")  # what a run's report step does
        await until(
            pilot, lambda: "In Review" in row_of(screen.table, "PCL-101"), message="new state"
        )
        # The detail beside it follows at once, not a minute later with its next fetch.
        await until(
            pilot, lambda: "In Review ·" in shown(detail), timeout=10, message="detail's state"
        )
        assert "r Refresh" in screen.query_one(KeyBar).render().plain


async def test_a_hand_made_group_is_never_duplicated_by_suggestions() -> None:
    app = build_app(private_target(), poll_tiles=False)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await loaded(pilot)
        for identifier in ("PCL-143", "PCL-142"):
            move_to(screen.table, identifier)
            await pilot.press("space")
        await pilot.press("g")
        assert [g.issues for g in screen.groups] == [["PCL-143", "PCL-142"]]
        await pilot.press("s")
        await until(pilot, lambda: screen.suggestions, message="suggestions")
        assert all("PCL-143" not in g.issues for g in screen.suggestions)
        await pilot.press("G")
        grouped = [issue for group in screen.groups for issue in group.issues]
        assert len(grouped) == len(set(grouped)) and grouped.count("PCL-143") == 1
        # Grouping again takes the issues out of the group they were in.
        move_to(screen.table, "PCL-142")
        await pilot.press("space", "g")
        grouped = [issue for group in screen.groups for issue in group.issues]
        assert grouped.count("PCL-142") == 1 and screen.groups[-1].issues == ["PCL-142"]


async def test_suggestions_leave_out_finished_and_in_review_work() -> None:
    app = build_app(private_target(), poll_tiles=False)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await loaded(pilot)
        await pilot.press("s")
        await until(pilot, lambda: screen.suggestions, message="suggestions")
        suggested = {issue for group in screen.suggestions for issue in group.issues}
        assert "PCL-132" not in suggested  # Canceled
        assert "PCL-114" not in suggested  # In Review
        assert {"PCL-130", "PCL-131"} <= suggested


async def test_launch_names_the_issues_warns_and_asks_before_reusing_a_pr() -> None:
    runs = RunStore()
    earlier = runs.create("quick-fix", {}, ["PCL-101"], {})
    url = "https://github.com/acme/shipping/pull/7"
    runs.update(earlier.id, pr_url=url)
    runs.finish(earlier.id, "succeeded")
    app = build_app(private_target(), poll_tiles=False)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await loaded(pilot)
        move_to(screen.table, "PCL-101")
        await pilot.press("enter")  # nothing selected: the highlighted issue
        picker = await until(
            pilot, lambda: isinstance(app.screen, WorkflowPicker) and app.screen, message="picker"
        )
        what = str(picker.query_one("#launch-what", Static).render())
        assert "1 run, from the highlighted issue (none selected):" in what
        assert "1. PCL-101 Label printing: support 4x6 thermal printers" in what
        assert f"PCL-101: run {earlier.id} (quick-fix) opened {url}" in what
        await pilot.press("enter")  # the default workflow
        confirm = await until(
            pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen, message="ask"
        )
        assert any(url in line for line in confirm.lines)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, TriageScreen), message="back")
        await app.workers.wait_for_complete()
        assert [run.id for run in list_runs()] == [earlier.id]  # nothing launched


async def test_a_filter_without_matches_says_so_and_the_count_keeps_off_the_headers() -> None:
    app = build_app(private_target(), poll_tiles=False)
    async with app.run_test(size=(240, 30)) as pilot:
        screen = await loaded(pilot)
        header = screen.table.render_line(0).text
        assert header.split() == ["ID", "Title", "State", "Labels", "Project"]  # not overwritten
    app = build_app(private_target(), poll_tiles=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        count = screen.query_one("#issue-count", Static)
        assert str(count.render()) == "32 issues"
        await pilot.press("slash", *"zzqx")
        assert "no match for “zzqx” (esc clears)" in screen.table.render_line(1).text
        assert str(count.render()) == "0 of 32"
        await pilot.press("escape")
        assert len(screen.table.issues) == 32 and screen.table.render_line(1).text.strip()
