"""`agenttui demo` on a machine with no tmux config and no Linear key: demo agents work on
sample issues in the session, and the app runs in its own window showing the issues
(the demo's feedback run and forge: tests/integration/test_demo_workflow.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from tests.support.waiting import wait_until


def demo(tmux_server: Any) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tui", "--socket", tmux_server.socket, "--json", "demo",
         "--no-attach"],
        capture_output=True, text=True, timeout=180, check=False, env=os.environ.copy(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_demo_starts_agents_and_the_app(tmux_server: Any) -> None:
    assert "LINEAR_API_KEY" not in os.environ
    result = demo(tmux_server)
    assert len(result["agents"]) == 2 and all(n.startswith("demo-pcl-") for n in result["agents"])
    windows = tmux_server.cmd("list-windows", "-t", "=agenttui", "-F", "#{window_name}").split()
    assert {"agenttui", "forge"} <= set(windows) and set(result["agents"]) <= set(windows)

    def app_screen() -> str:
        return tmux_server.cmd("capture-pane", "-p", "-t", "=agenttui:agenttui")

    wait_until(lambda: "PCL-1" in app_screen(), timeout=60, message="the issue list in the app")
    # The agents are real demo agents: one of them is asking to run a command.
    tmux_server.cmd("send-keys", "-t", "=agenttui:agenttui", "2")
    wait_until(lambda: "APPROVE?" in app_screen(), timeout=60, message="a waiting tile")

    # Running it again reuses the session: no second app window, no duplicate agents.
    again = demo(tmux_server)
    assert again["agents"] == result["agents"]
    windows = tmux_server.cmd("list-windows", "-t", "=agenttui", "-F", "#{window_name}").split()
    assert windows.count("agenttui") == 1
    assert len(windows) == len(set(windows))
