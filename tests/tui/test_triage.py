"""Triage screen key paths on the built-in local issue source: filter as you type, select,
group, suggested groups with reasons, and launching a real run per group."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.widgets import Input

from tests.support.environment import write_config
from tests.support.git_repos import make_project
from tests.support.pilot import enabled_keys, until
from tests.support.tmux import TmuxServer, private_target
from tui.app import build_app
from tui.screens.triage import TriageScreen
from tui.screens.workflow_picker import WorkflowPicker
from widgets.issue_table import IssueTable
from widgets.key_bar import KeyBar
from workflows.runs.run_store import list_runs

SLEEP_WORKFLOW = """
name = "tui-sleep"
description = "A shell step that sleeps (TUI tests)"
worktree = false

[[steps]]
id = "wait"
run = "sleep 120"
"""


async def _loaded(pilot, app) -> TriageScreen:  # type: ignore[no-untyped-def]
    screen = app.screen
    assert isinstance(screen, TriageScreen)
    await until(pilot, lambda: len(screen.table.issues) >= 20, message="the sample issues")
    return screen


async def test_filter_as_you_type() -> None:
    app = build_app(private_target(), poll_tiles=False)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _loaded(pilot, app)
        total = len(screen.table.issues)
        await pilot.press("slash", *"safari")
        shown = screen.table.issues
        assert 0 < len(shown) < total
        assert all("safari" in issue.title.lower() for issue in shown)
        await pilot.press("enter")  # back to the table
        assert app.focused is screen.table
        await pilot.press("space", "escape")  # escape clears the selection first
        assert not screen.table.selected and len(screen.table.issues) == len(shown)
        await pilot.press("escape")  # then the filter
        assert len(screen.table.issues) == total and screen.query_text == ""
        assert screen.query_one("#filter", Input).value == ""


async def test_escape_clears_the_newest_kind_first_then_suggestions_then_groups() -> None:
    app = build_app(private_target(), poll_tiles=False)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _loaded(pilot, app)
        await pilot.press("space", "down", "space", "g")  # a group by hand
        await pilot.press("s")
        await until(pilot, lambda: screen.suggestions, message="suggested groups")
        await pilot.press("slash", *"a", "enter", "down", "space")  # a filter, a selection
        assert screen.table.selected and screen.query_text == "a"
        cleared = []
        for _ in range(4):
            await pilot.press("escape")
            cleared.append(
                (bool(screen.table.selected), screen.query_text, bool(screen.suggestions),
                 len(screen.groups))
            )  # fmt: skip
        assert cleared == [(False, "a", True, 1), (False, "", True, 1), (False, "", False, 1),
                           (False, "", False, 0)]  # fmt: skip


async def test_key_bar_follows_what_enter_can_launch() -> None:
    app = build_app(private_target(), poll_tiles=False)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _loaded(pilot, app)
        key_bar = screen.query_one(KeyBar)

        def shown() -> str:  # what the bar has painted (its cached lines), not a fresh render
            return key_bar.render_lines(Region(0, 0, key_bar.size.width, 1))[0].text

        await until(pilot, lambda: "Launch" in shown(), message="Launch shown")
        screen.apply_filter("zzqx-no-such-issue")  # as typing does, without a focus change
        await pilot.pause()
        assert not screen.check_action("launch", ())
        assert "Launch" not in shown()
        screen.apply_filter("")
        await pilot.pause()
        assert "Launch" in shown()


async def test_select_group_and_suggestions() -> None:
    app = build_app(private_target(), poll_tiles=False)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _loaded(pilot, app)
        table = app.query_one(IssueTable)
        assert "g" not in enabled_keys(app)  # nothing selected: group is hidden
        first, second = table.issues[0].identifier, table.issues[1].identifier
        await pilot.press("space")
        assert list(table.selected) == [first] and table.current.identifier == first
        await pilot.press("down", "space")
        assert list(table.selected) == [first, second]
        assert "g" in enabled_keys(app)
        await pilot.press("g")
        assert [group.issues for group in screen.groups] == [[first, second]]
        assert not table.selected
        await pilot.press("s")
        await until(pilot, lambda: screen.suggestions, message="suggested groups")
        assert all(group.reasons and len(group.issues) > 1 for group in screen.suggestions)
        suggested = len(screen.suggestions)
        await pilot.press("G")
        assert len(screen.groups) == 1 + suggested and not screen.suggestions


@pytest.fixture
def sleep_workflow(isolated_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    workflows = tmp_path / "config" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "tui-sleep.toml").write_text(textwrap.dedent(SLEEP_WORKFLOW))
    project = make_project(tmp_path, test_script="true\n")
    monkeypatch.chdir(project.repo)
    return "tui-sleep"


async def test_enter_launches_the_chosen_workflow_per_group(
    tmux_server: TmuxServer, sleep_workflow: str
) -> None:
    app = build_app(tmux_server.target, poll_tiles=False)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _loaded(pilot, app)
        ids = [issue.identifier for issue in screen.table.issues[:3]]
        await pilot.press("space", "g", "down", "space", "down", "space", "g")  # [a], [b, c]
        assert [group.issues for group in screen.groups] == [ids[:1], ids[1:3]]
        await pilot.press("enter")
        picker = await until(
            pilot, lambda: isinstance(app.screen, WorkflowPicker) and app.screen, message="picker"
        )
        names = [choice.name for choice in picker.choices]
        assert sleep_workflow in names and "feedback" in names
        sources = {choice.name: choice.source for choice in picker.choices}
        assert sources[sleep_workflow] == "user" and sources["feedback"] == "built-in"
        option_list = picker.query_one("#workflows")
        option_list.highlighted = names.index(sleep_workflow)
        await pilot.press("enter")
        await until(pilot, lambda: len(list_runs()) == 2, timeout=60, message="two runs")
        launched = sorted(run.issues for run in list_runs())
        assert launched == sorted([ids[:1], ids[1:3]])
        assert all(run.workflow == sleep_workflow for run in list_runs())
        assert screen.groups == []


async def test_issue_files_the_source_skipped_are_named_once_and_counted(tmp_path: Path) -> None:
    # The CLI names a file it could not read; the app had listed the others without a word,
    # so an issue written with a typo silently went missing from triage.
    folder = tmp_path / "issues"
    folder.mkdir()
    (folder / "OK-1.md").write_text("# Fine issue\n\nbody\n", encoding="utf-8")
    (folder / "BAD-1.md").write_bytes(b"# Broken\n\ncaf\xe9 latin-1\n")
    write_config(f'[local]\npath = "{folder}"\n')
    app = build_app(private_target(), poll_tiles=False)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, TriageScreen)
        await until(pilot, lambda: screen.loaded and screen.skipped_files, message="a listing")
        assert [issue.identifier for issue in screen.table.issues] == ["OK-1"]

        def said() -> list[str]:
            return [str(n.message) for n in app._notifications if "skipped" in str(n.message)]

        await until(pilot, said, message="the warning")  # (older Textual: a moment later)
        assert len(said()) == 1
        assert said()[0].startswith(f"skipped 1 issue file(s): {folder / 'BAD-1.md'}:3: not UTF-8")
        assert "1 file(s) skipped" in str(screen.query_one("#issue-count").render())
        screen.load_issues("poll")  # read again: the same file, said no second time
        await pilot.pause(0.5)
        await until(pilot, lambda: not screen.workers, message="the poll")
        assert len(said()) == 1
        (folder / "BAD-1.md").write_text("# Mended\n\nbody\n", encoding="utf-8")
        screen.load_issues("poll")
        await until(pilot, lambda: not screen.skipped_files, message="the mended file")
        assert "skipped" not in str(screen.query_one("#issue-count").render())
