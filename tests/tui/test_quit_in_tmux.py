"""`q` in the app the demo opened takes the person back where they were, with a real tmux
client (under `script`, a terminal of its own): inside tmux to the pane they ran the demo
from, never into an agent's window; from a plain terminal out of tmux. With no client to
show the app, the demo says how to see it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.terminals import Terminals, person_clients
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until

DEMO = f"{sys.executable} -m tui --socket {{socket}} demo --agents 1"


def app_shows_issues(server: TmuxServer) -> bool:
    try:
        return "PCL-1" in server.cmd("capture-pane", "-p", "-t", "=agenttui:agenttui")
    except subprocess.CalledProcessError:
        return False


def test_q_inside_tmux_returns_to_the_pane_the_demo_ran_from(
    tmux_server: TmuxServer, terminals: Terminals, tmp_path: Path
) -> None:
    tmux_server.cmd("new-session", "-d", "-s", "work", "-x", "160", "-y", "45")
    work_pane = tmux_server.cmd("list-panes", "-t", "=work", "-F", "#{pane_id}").strip()
    terminals.open(f"tmux -L {tmux_server.socket} attach -t =work", size=(160, 45))
    wait_until(lambda: [c[2] for c in person_clients(tmux_server)] == [work_pane], timeout=30)
    command = DEMO.format(socket=tmux_server.socket)
    tmux_server.cmd("send-keys", "-t", work_pane, "-l", f"cd {tmp_path} && {command}")
    tmux_server.cmd("send-keys", "-t", work_pane, "Enter")
    wait_until(
        lambda: [c[:2] for c in person_clients(tmux_server)] == [("agenttui", "agenttui")],
        timeout=180, message="the demo to show the app",
    )  # fmt: skip
    wait_until(lambda: app_shows_issues(tmux_server), timeout=60, message="the app's issues")
    # The person looks at an agent and comes back: the agent's window is now the last one.
    agent = next(
        line.split()[0]
        for line in tmux_server.cmd(
            "list-panes", "-a", "-F", "#{pane_id} #{@agenttui_agent}"
        ).splitlines()
        if line.endswith(" demo")
    )
    tmux_server.cmd("select-window", "-t", agent)
    tmux_server.cmd("select-window", "-t", "=agenttui:agenttui")
    tmux_server.cmd("send-keys", "-t", "=agenttui:agenttui", "q")
    wait_until(
        lambda: [c[2] for c in person_clients(tmux_server)] == [work_pane],
        timeout=30, message="the client back in the pane the demo ran from",
    )  # fmt: skip


def test_q_after_the_demo_attached_a_plain_terminal_leaves_tmux(
    tmux_server: TmuxServer, terminals: Terminals, tmp_path: Path
) -> None:
    person = terminals.open(f"cd {tmp_path} && {DEMO.format(socket=tmux_server.socket)}")
    wait_until(
        lambda: [c[:2] for c in person_clients(tmux_server)] == [("agenttui", "agenttui")],
        timeout=180, message="the demo to attach the terminal to the app",
    )  # fmt: skip
    wait_until(lambda: app_shows_issues(tmux_server), timeout=60, message="the app's issues")
    tmux_server.cmd("send-keys", "-t", "=agenttui:agenttui", "q")
    assert person.wait(timeout=30) == 0  # the demo's `tmux attach` ended: back in the shell
    assert person_clients(tmux_server) == []


def test_the_demo_says_how_to_see_it_when_no_client_can(tmux_server: TmuxServer) -> None:
    tmux_server.cmd("new-session", "-d", "-s", "work")
    socket_path = tmux_server.cmd("display-message", "-p", "-t", "=work", "#{socket_path}")
    pane = tmux_server.cmd("list-panes", "-t", "=work", "-F", "#{pane_id}").strip()
    inside = {**os.environ, "TMUX": f"{socket_path.strip()},1,0", "TMUX_PANE": pane}
    done = subprocess.run(
        [sys.executable, "-m", "tui", "--socket", tmux_server.socket, "demo", "--agents", "0"],
        capture_output=True, text=True, env=inside, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "no tmux client could show it" in done.stdout
    see = f"See it with: tmux -L {tmux_server.socket} attach-session -t =agenttui:agenttui"
    assert done.stdout.strip().endswith(see)
