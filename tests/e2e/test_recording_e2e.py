"""A real run's agent pane recorded: the real Claude Code (jailed, offline) in a one-step run
of a new user, its key passed through from the environment. The recording parses as
asciicast v2, plays back (as `agenttui replay` writes it) to the screen tmux shows for the
pane, and holds no secret: the key is nowhere in it, the file is 0600."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.model_server import AnthropicServer
from tests.e2e.new_user import one_step_run
from tests.support.cli import agenttui
from tests.support.runs import wait_for_end
from tests.support.screens import played
from tests.support.tmux import TmuxServer
from workflows.runs.recording.asciicast import read_cast
from workflows.runs.recording.files import run_casts
from workflows.runs.recording.replay import RESTORE, final_screen
from workflows.tmux.driver import TmuxDriver

pytestmark = pytest.mark.e2e


def test_a_real_claude_runs_recording_plays_back_to_its_screen_and_keeps_no_secret(
    new_user: Path,
    tmux_server: TmuxServer,
    anthropic: AnthropicServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keep = "\n[recordings]\nenabled = true\n[workflows]\nkeep_agents = true\n"  # pane stays
    run_id, _, _ = one_step_run(new_user, anthropic, tmp_path, monkeypatch, config_extra=keep)
    key = os.environ["ANTHROPIC_API_KEY"]  # passed through to the agent by env_from
    summary = wait_for_end(run_id, timeout=180)
    assert summary["status"] == "succeeded", agenttui("log", run_id).stdout

    (cast,) = run_casts(run_id)  # under the default state dir of this HOME
    assert cast.is_relative_to(new_user / ".local/state/agenttui")
    assert stat.S_IMODE(cast.stat().st_mode) == 0o600
    raw = cast.read_bytes()
    assert key.encode() not in raw
    header, events = read_cast(cast)
    assert json.loads(raw.splitlines()[0])["version"] == 2
    text = "".join(event.data for event in events if event.code == "o")
    assert "marker-r1" in text  # the agent's own answer, as it streamed
    driver = TmuxDriver(tmux_server.target)
    (pane,) = [pane for pane in driver.panes() if pane.name == cast.stem]
    expected = [line.rstrip() for line in driver.capture(pane.pane_id)]
    assert "marker-r1" in "\n".join(expected)
    assert final_screen(header, events) == expected
    shown = subprocess.run(
        [sys.executable, "-m", "tui", "replay", run_id, "--speed", "1000", "--idle", "0.001"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert key not in shown
    assert played(shown.removesuffix(RESTORE), header.width, header.height) == expected
    driver.close()
