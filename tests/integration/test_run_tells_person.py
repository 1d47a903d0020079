"""A run left to itself tells the person when its agent starts waiting for them — once, by
``[tui] notify_command`` — and leaves that to the app while an app watches the same tmux
server (the app holds ``agents.app_presence`` for as long as it polls tiles)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.support.cli import agenttui
from tests.support.environment import write_config
from tests.support.git_repos import Project
from tests.support.notify_recorder import notify_recorder, recorded_calls
from tests.support.profiles import demo_without_its_dialog_rule
from tests.support.runs import run_summary, start_run, wait_for_end
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from workflows.agents.app_presence import AppPresence, app_is_watching
from workflows.runs.run_store import RunStore

DIALOG_STEP = (
    'name = "dialog"\n\n[[steps]]\nid = "implement"\n'
    'prompt = "please run command `touch frob.txt` [work 0.1s]"\n'
    'output = ".agenttui/implement.md"\n'
)


def _start_waiting_run(project: Project, tmp_path: Path) -> str:
    """A run whose agent shows a dialog no rule answers (a person is needed)."""
    workflow = tmp_path / "dialog.toml"
    workflow.write_text(DIALOG_STEP)
    return start_run(
        str(workflow), "--issues", "ENG-1", "--repo", str(project.repo), "--source", "linear",
        "--agent", demo_without_its_dialog_rule(),
    )  # fmt: skip


def _attention(run_id: str) -> str:
    return str(wait_until(lambda: run_summary(run_id).get("attention"), timeout=30))


def _answer_and_finish(run_id: str) -> None:
    (delivery,) = RunStore().deliveries(run_id)
    agenttui("keys", delivery.pane_id, "1")
    assert wait_for_end(run_id, timeout=60)["status"] == "succeeded"


@pytest.fixture
def calls(tmp_path: Path) -> Path:
    """Where the configured notify command records its calls."""
    command, recorded = notify_recorder(tmp_path)
    write_config(f"[tui]\nnotify_command = {json.dumps(command)}\n")
    return recorded


@pytest.mark.usefixtures("tmux_server", "linear_server", "github")
def test_a_run_with_no_app_open_tells_the_person_once(
    project: Project, calls: Path, tmp_path: Path
) -> None:
    run_id = _start_waiting_run(project, tmp_path)
    attention = _attention(run_id)
    (call,) = wait_until(lambda: recorded_calls(calls), timeout=15, message="the notification")
    assert call["env"]["AGENTTUI_NOTIFY_RUN"] == run_id
    assert call["env"]["AGENTTUI_NOTIFY_STATE"] == "blocked"
    assert call["env"]["AGENTTUI_NOTIFY_AGENT"] in attention
    assert call["argv"][1].startswith(f"agenttui: {call['env']['AGENTTUI_NOTIFY_AGENT']} (run ")
    assert "no app open: told the person (sent)" in agenttui("log", run_id).stdout
    _answer_and_finish(run_id)
    assert len(recorded_calls(calls)) == 1  # told once, not at every poll


@pytest.mark.usefixtures("linear_server", "github")
def test_a_run_leaves_telling_to_the_app_that_watches(
    tmux_server: TmuxServer, project: Project, calls: Path, tmp_path: Path
) -> None:
    target = tmux_server.target
    assert not app_is_watching(target)
    presence = AppPresence(target)  # what the app holds while it polls tiles
    try:
        assert app_is_watching(target)
        run_id = _start_waiting_run(project, tmp_path)
        _attention(run_id)
        time.sleep(3)  # the run's loop polls each second: it had its chance to tell
        assert recorded_calls(calls) == []
        assert "told the person" not in agenttui("log", run_id).stdout
    finally:
        presence.close()
    assert not app_is_watching(target)
    _answer_and_finish(run_id)
