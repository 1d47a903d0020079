"""`agenttui demo` on a machine with no tmux config and no Linear key: demo agents work on
sample issues in the session, and the app runs in its own window showing the issues
(the demo's feedback run and forge: tests/integration/test_demo_workflow.py)."""

from __future__ import annotations

import os
from typing import Any

from tests.support.cli import start_demo
from tests.support.waiting import wait_until


def test_demo_starts_agents_and_the_app(tmux_server: Any) -> None:
    assert "LINEAR_API_KEY" not in os.environ
    result = start_demo(tmux_server.socket)
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
    again = start_demo(tmux_server.socket)
    assert again["agents"] == result["agents"]
    windows = tmux_server.cmd("list-windows", "-t", "=agenttui", "-F", "#{window_name}").split()
    assert windows.count("agenttui") == 1
    assert len(windows) == len(set(windows))
