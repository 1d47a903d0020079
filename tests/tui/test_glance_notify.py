"""At a glance, on every screen: how many agents work, wait and idle, how many runs run and
failed. A waiting agent also reaches the person outside the app: the configured notify
command gets the agent's untrusted detail as one argument and in the environment (never
through a shell), and by default tmux shows it on the attached terminals as it is."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.support.environment import write_config
from tests.support.notify_recorder import notify_recorder, recorded_calls
from tests.support.pilot import state_of, until
from tests.support.tmux import spawn_demo
from tests.support.waiting import wait_until
from tui.app import build_app
from widgets.glance_bar import GlanceBar
from workflows.agents.app_presence import app_is_watching
from workflows.agents.notify import Waiting, notify_waiting
from workflows.runs.run_store import RunStore
from workflows.tmux.driver import TmuxDriver

COMMAND = "echo '#{pane_id}' 50% $HOME; touch pwned"


def bar_text(app: Any) -> str:
    return str(app.screen.query_one(GlanceBar).render())


async def test_counts_on_every_screen_and_the_notify_command(
    driver: TmuxDriver, tmp_path: Path
) -> None:
    command, calls = notify_recorder(tmp_path)
    write_config(f"[tui]\nbell = false\nnotify_command = {json.dumps(command)}\n")
    spawn_demo(driver, tmp_path / "w", name="worker", prompt="Long job [work 300s]", work=None)
    spawn_demo(driver, tmp_path / "i", name="idler", prompt="", work=None)
    failed = RunStore().create("quick-fix", {}, ["PCL-1"], {})
    RunStore().finish(failed.id, "failed", "tests failed")
    app = build_app(driver.target)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(
            pilot,
            lambda: "1 working · 0 waiting · 1 idle" in bar_text(app),
            message="agent counts",
        )
        assert "0 running · 1 failed" in bar_text(app)
        # An agent starts waiting while the person looks at another screen.
        await pilot.press("3")
        spawn_demo(
            driver,
            tmp_path / "a",
            name="asker",
            prompt=f"Please run command `{COMMAND}` now",
            work=None,
        )
        await until(pilot, lambda: state_of(app, "asker") == "awaiting_approval" or
                    "1 waiting" in bar_text(app), message="asker waits")  # fmt: skip
        await until(pilot, lambda: "1 working · 1 waiting · 1 idle" in bar_text(app))
        assert "3 Runs" in bar_text(app)  # where the person is
        assert app_is_watching(driver.target)  # so runs leave telling the person to it
        # The recorder may have made the file and not yet written its line.
        await until(
            pilot,
            lambda: recorded_calls(calls),
            message="the notify command ran",
        )
        (call,) = recorded_calls(calls)
        message = f"agenttui: asker is waiting: {COMMAND}"
        assert call["argv"] == [str(calls), message]  # one argument, verbatim
        assert call["env"]["AGENTTUI_NOTIFY_AGENT"] == "asker"
        assert call["env"]["AGENTTUI_NOTIFY_DETAIL"] == COMMAND
        assert call["env"]["AGENTTUI_NOTIFY_STATE"] == "awaiting_approval"
        assert not (tmp_path / "a" / "pwned").exists() and not Path("pwned").exists()
    assert not app_is_watching(driver.target)


def test_default_notification_shows_on_attached_terminals_as_written(
    driver: TmuxDriver, tmp_path: Path
) -> None:
    """tmux display-message on a real client (a terminal made by `script`)."""
    assert shutil.which("script"), "util-linux script is needed"
    driver.ensure_session()
    screen = tmp_path / "terminal.txt"
    env = {**os.environ, "TERM": "xterm", "TMUX": ""}
    client = subprocess.Popen(
        ["script", "-qfc", f"tmux -L {driver.socket} attach -t ={driver.session}", str(screen)],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    try:
        tmux = ["tmux", "-L", str(driver.socket)]

        def attached() -> bool:
            listing = subprocess.run([*tmux, "list-clients", "-F", "#{client_flags}"],
                                     capture_output=True, text=True, check=False)  # fmt: skip
            return any("control-mode" not in line for line in listing.stdout.splitlines())

        wait_until(attached, timeout=20, message="a terminal attached")
        waiting = Waiting("asker", "awaiting_approval", "rm -rf #{pane_id} 50%H;", "r1")
        said = notify_waiting(None, waiting, tmux=tmux)
        assert said == "shown on 1 tmux client(s)"
        wanted = "asker (run r1) is waiting: rm -rf #{pane_id} 50%H;"
        wait_until(
            lambda: wanted in screen.read_bytes().decode("utf-8", "replace"),
            timeout=20,
            message="the message on the terminal, unexpanded",
        )
    finally:
        client.terminate()
        client.wait(timeout=10)
