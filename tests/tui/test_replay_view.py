"""A run's recordings played in the app: P in a run's detail plays a demo run's agent panes
(recorded by its runner in a private tmux server) on their own timing, faster with +, each
ending on the screen the recording ends on; n goes to the next agent; a run without
recordings says so."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.environment import write_config
from tests.support.pilot import (
    open_detail,
    project_with_workflows,
    run_status,
    until,
)
from tests.support.recordings import WORKFLOWS  # "recorded": two demo agents
from tests.support.tmux import private_target
from tests.support.waiting import wait_until
from tui.app import build_app
from tui.screens.replay import ReplayScreen
from tui.screens.run_detail import RunDetailScreen
from workflows.runs.recording.asciicast import read_cast
from workflows.runs.recording.files import run_casts, run_folder
from workflows.runs.recording.replay import final_screen
from workflows.runs.runner import launch_run


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tmux_server: Any) -> Path:
    project = project_with_workflows(tmp_path, monkeypatch, WORKFLOWS)
    write_config("[recordings]\nenabled = true\n")
    return project


def shown(replay: ReplayScreen) -> list[str]:
    """The rows the replay's view paints, as text."""
    view = replay.view
    return [view.render_line(y).text.rstrip() for y in range(view.size.height)]


async def test_p_plays_each_agents_recording_to_its_last_screen(repo: Path) -> None:
    run_id = launch_run("recorded", ["PCL-101"], target=private_target())
    wait_until(lambda: run_status(run_id) == "succeeded", timeout=180, message="the run")
    casts = run_casts(run_id)
    assert [path.stem for path in casts] == [f"{run_id}-main", f"{run_id}-reviewer"]
    app = build_app(private_target(), poll_tiles=False)
    async with app.run_test(size=(140, 50)) as pilot:
        detail = await open_detail(pilot, run_id)
        await until(pilot, lambda: detail.detail is not None, message="the run loaded")
        await pilot.press("P")
        replay = await until(pilot, lambda: isinstance(app.screen, ReplayScreen) and app.screen)
        await until(pilot, lambda: replay.player is not None, message="the recording read")
        assert replay.player is not None
        first = replay.player
        await until(pilot, lambda: first.position > 0, message="playing on its own")
        assert not first.done  # at ×1 the implement step's 2 s of work takes a while
        for _ in range(5):
            await pilot.press("plus")
        assert replay.speed == 16
        await until(pilot, lambda: first.done, timeout=60, message="the end of the recording")
        expected = final_screen(*read_cast(casts[0]))
        assert [line.rstrip() for line in first.model.text_lines()] == expected
        assert "Implement it" in "\n".join(shown(replay))  # painted, not only modelled

        await pilot.press("n")  # the reviewer's pane; e jumps to its end
        await until(
            pilot,
            lambda: replay.player is not None and replay.player is not first,
            message="the next recording",
        )
        await pilot.press("e")
        assert replay.player is not None and replay.player.done
        second = [line.rstrip() for line in replay.player.model.text_lines()]
        assert second == final_screen(*read_cast(casts[1]))
        assert "Review it" in "\n".join(shown(replay))

        await pilot.press("escape")
        assert isinstance(app.screen, RunDetailScreen)
        shutil.rmtree(run_folder(run_id))
        await pilot.press("P")
        await until(pilot, lambda: app._notifications, message="the notification")
        messages = [notification.message for notification in app._notifications]
        assert messages[-1] == f"run {run_id} has no recordings (in {run_folder(run_id)})"
        assert isinstance(app.screen, RunDetailScreen)
