"""Helpers for pilot tests: waiting inside the app's event loop, and small fixtures."""

from __future__ import annotations

import os
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Input, Markdown, Static

from tests.support.git_repos import make_project
from tui.app import AgentTuiApp
from tui.screens.agents import AgentsScreen
from tui.screens.run_detail import RunDetailScreen
from tui.screens.runs import RunsScreen
from tui.screens.triage import TriageScreen
from widgets.issue_detail import IssueDetail
from widgets.pane_tile import PaneTile
from workflows.runs.run_store import RunStore


async def until(
    pilot: Pilot[Any],
    predicate: Callable[[], Any],
    *,
    timeout: float = 60.0,
    message: str = "",
    explain: Callable[[], str] | None = None,
) -> Any:
    """Let the app run until ``predicate()`` is truthy (never a bare sleep); on a timeout,
    ``explain()`` says what the app had instead."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            found = f"; {explain()}" if explain is not None else ""
            raise AssertionError(
                f"timed out after {timeout}s waiting for {message or predicate}{found}"
            )
        await pilot.pause(0.05)


def enabled_keys(app: Any) -> set[str]:
    """Keys whose actions apply now (``check_action`` hides the others)."""
    return {key for key, active in app.screen.active_bindings.items() if active.enabled}


def project_with_workflows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workflows: dict[str, str]
) -> Path:
    """A git project (the current directory) and these user workflows in the config dir."""
    folder = tmp_path / "config" / "workflows"
    folder.mkdir(parents=True)
    for name, text in workflows.items():
        (folder / f"{name}.toml").write_text(textwrap.dedent(text))
    project = make_project(tmp_path, test_script="true\n")
    monkeypatch.chdir(project.repo)
    return Path(project.repo)


def private_socket() -> str:
    """The tmux socket the ``tmux_server`` fixture made (never the default server: a run
    launched without it would land on the user's own tmux)."""
    return os.environ["AGENTTUI_TMUX_SOCKET"]


FROZEN_NOW = 1_767_225_600.0  # 2026-01-01 00:00 UTC


def tile_of(app: AgentTuiApp, name: str) -> PaneTile | None:
    for tile in app.screen.query(PaneTile):
        if tile.info.name == name:
            return tile
    return None


async def open_agents(pilot: Any, app: AgentTuiApp, names: list[str]) -> AgentsScreen:
    await pilot.press("2")
    screen = await until(pilot, lambda: isinstance(app.screen, AgentsScreen) and app.screen)
    await until(
        pilot,
        lambda: all(tile_of(app, name) for name in names),
        message=f"tiles for {names}",
    )
    return screen


def state_of(app: AgentTuiApp, name: str) -> str:
    tile = tile_of(app, name)
    return tile.info.state if tile else ""


async def triage_ready(pilot: Any) -> None:
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, TriageScreen) and app.screen.table.issues)
    await app.workers.wait_for_complete()
    app.screen.query_one(Input).cursor_blink = False
    await pilot.pause()


def shown(detail: IssueDetail) -> str:
    """Everything the detail shows, as text."""
    parts = [str(widget.render()) for widget in detail.query(Static) if widget.display]
    for markdown in detail.query(Markdown):
        parts.extend(
            str(block._content) for block in markdown.query("*") if hasattr(block, "_content")
        )
    return "\n".join(parts)


def run_status(run_id: str) -> str:
    return str(RunStore().get(run_id).summary().status)


async def open_detail(pilot: Any, run_id: str) -> RunDetailScreen:
    app = pilot.app
    await pilot.press("3")
    runs = await until(pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen)
    await until(pilot, lambda: run_id in runs.run_list.runs, message="the run listed")
    runs.run_list.move_cursor(row=runs.run_list.get_row_index(run_id))
    await pilot.pause()
    await pilot.press("enter")
    return await until(
        pilot, lambda: isinstance(app.screen, RunDetailScreen) and app.screen, message="detail"
    )


class TileApp(App[None]):
    """An app holding one tile alone (a tile's own rendering)."""

    def __init__(self, tile: PaneTile) -> None:
        super().__init__()
        self.tile = tile

    def compose(self) -> ComposeResult:
        yield self.tile


def mirrored(app: AgentTuiApp, tile: PaneTile | None) -> str:
    """What the mirror knows of a tile's pane, for a test that waited for it in vain."""
    if tile is None:
        return "no tile"
    mirror, pane_id = app.mirror, tile.info.pane_id
    if mirror is None:
        return "the app has no mirror"
    shown = [line for line in (tile.view.model.text_lines() if tile.view.model else []) if line]
    return (
        f"tile model is the mirror's: {tile.view.model is mirror.model(pane_id)}, "
        f"captures {mirror.capture_counts.get(pane_id, 0)}, errors {mirror.errors}, "
        f"visible {sorted(mirror._visible)}, rows {mirror._rows.heights.get(pane_id)}, "
        f"size {mirror._sizes.get(pane_id)}, view {tile.view.size}, shows {shown[-8:]}"
    )
