"""`q` in the app the demo opened takes the person back where they were, with a real tmux
client (under `script`, a terminal of its own): inside tmux to the pane they ran the demo
from, never into an agent's window; from a plain terminal out of tmux. With no client to
show the app, the demo says how to see it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TmuxServer
from tests.helpers import wait_until

DEMO = f"{sys.executable} -m tui --socket {{socket}} demo --agents 1"


def clients(server: TmuxServer) -> list[tuple[str, str, str]]:
    """(session, window name, pane) each client shows."""
    try:
        lines = server.cmd("list-clients", "-F", "#{session_name}\t#{window_name}\t#{pane_id}")
    except subprocess.CalledProcessError:  # no server (yet, or any more)
        return []
    return [tuple(line.split("\t")) for line in lines.splitlines()]  # type: ignore[misc]


def app_shows_issues(server: TmuxServer) -> bool:
    try:
        return "PCL-1" in server.cmd("capture-pane", "-p", "-t", "=agenttui:agenttui")
    except subprocess.CalledProcessError:
        return False


@pytest.fixture
def terminal(tmux_server: TmuxServer) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes standing for a person's terminal; stopped at the end."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def person_terminal(command: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["script", "-qfec", f"stty cols 160 rows 45; {command}", "/dev/null"],
        env={**env, "TERM": "xterm-256color"},
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def test_q_inside_tmux_returns_to_the_pane_the_demo_ran_from(
    tmux_server: TmuxServer, terminal: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    tmux_server.cmd("new-session", "-d", "-s", "work", "-x", "160", "-y", "45")
    work_pane = tmux_server.cmd("list-panes", "-t", "=work", "-F", "#{pane_id}").strip()
    plain = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
    terminal.append(person_terminal(f"tmux -L {tmux_server.socket} attach -t =work", plain))
    wait_until(lambda: [c[2] for c in clients(tmux_server)] == [work_pane], timeout=30)
    command = DEMO.format(socket=tmux_server.socket)
    tmux_server.cmd("send-keys", "-t", work_pane, "-l", f"cd {tmp_path} && {command}")
    tmux_server.cmd("send-keys", "-t", work_pane, "Enter")
    wait_until(
        lambda: [c[:2] for c in clients(tmux_server)] == [("agenttui", "agenttui")],
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
        lambda: [c[2] for c in clients(tmux_server)] == [work_pane],
        timeout=30, message="the client back in the pane the demo ran from",
    )  # fmt: skip


def test_q_after_the_demo_attached_a_plain_terminal_leaves_tmux(
    tmux_server: TmuxServer, terminal: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    plain = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
    person = person_terminal(f"cd {tmp_path} && {DEMO.format(socket=tmux_server.socket)}", plain)
    terminal.append(person)
    wait_until(
        lambda: [c[:2] for c in clients(tmux_server)] == [("agenttui", "agenttui")],
        timeout=180, message="the demo to attach the terminal to the app",
    )  # fmt: skip
    wait_until(lambda: app_shows_issues(tmux_server), timeout=60, message="the app's issues")
    tmux_server.cmd("send-keys", "-t", "=agenttui:agenttui", "q")
    assert person.wait(timeout=30) == 0  # the demo's `tmux attach` ended: back in the shell
    assert clients(tmux_server) == []


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
