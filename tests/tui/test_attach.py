"""Attaching to an agent, with a real tmux client (under `script`, a 200x50 terminal): the
agent fills the person's terminal while attached (its window is 120x40 otherwise), what the
other clients show stays put, and tmux's detach (prefix d) always comes back to the app,
after which the agent has its own size again."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from tests.support.pilot import open_agents, until
from tests.support.terminals import Terminals, person_clients, press
from tests.support.tmux import TmuxServer
from tests.support.waiting import wait_until
from tui.app import build_app
from tui.attach import close_view, start_client, view_exists
from tui.services import Services
from workflows.tmux.driver import TmuxDriver

SIZE_PRINTER = "import os, time\nwhile True: print(os.get_terminal_size()); time.sleep(0.2)"
DETACH = b"\x02d"  # C-b d: tmux's detach with the default prefix


def window_size(server: TmuxServer, pane: str) -> str:
    size = server.cmd("display-message", "-p", "-t", pane, "#{window_width}x#{window_height}")
    return size.strip()


def sessions(server: TmuxServer) -> list[str]:
    return server.cmd("list-sessions", "-F", "#{session_name}").split()


async def test_inside_tmux_the_agent_fills_a_popup_and_detach_comes_back(
    driver: TmuxDriver,
    tmux_server: TmuxServer,
    terminals: Terminals,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    agent = driver.spawn([sys.executable, "-c", SIZE_PRINTER], name="sizer", agent="shell").pane_id
    assert window_size(tmux_server, agent) == "120x40"
    # The app's own pane (here a stand-in) and the person's terminal showing it.
    app_pane = tmux_server.cmd(
        "new-window", "-d", "-P", "-F", "#{pane_id}", "-t", "=agenttui:", "-n", "app", "cat"
    ).strip()
    person = terminals.open(f"tmux -L {tmux_server.socket} attach -t =agenttui:app")
    wait_until(
        lambda: [c[2] for c in person_clients(tmux_server)] == [app_pane],
        timeout=30, message="the person's client on the app",
    )  # fmt: skip
    socket_path = tmux_server.cmd("display-message", "-p", "#{socket_path}").strip()
    monkeypatch.setenv("TMUX", f"{socket_path},1,0")
    monkeypatch.setenv("TMUX_PANE", app_pane)
    app = build_app(driver.target)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_agents(pilot, app, ["sizer"])
        await until(pilot, lambda: screen.grid.focused_tile is not None, message="focus")
        # Again and again, as a person does (tmux's destroy-unattached crashed the server
        # on about one detach in two).
        for _attach in range(4):
            await pilot.press("enter")
            try:
                await attached_then_detached(pilot, tmux_server, agent, app_pane, person)
            finally:  # never leave the popup open: the attach worker waits for it
                if window_size(tmux_server, agent) != "120x40":
                    press(person, DETACH)
            await app.workers.wait_for_complete()
        assert not [n for n in app._notifications if n.severity == "error"]


async def attached_then_detached(
    pilot: Any, tmux_server: TmuxServer, agent: str, app_pane: str, terminal: Any
) -> None:
    await until(pilot, lambda: window_size(tmux_server, agent) == "200x49", message="full size")
    views = [name for name in sessions(tmux_server) if "-view-" in name]  # (50 rows - status)
    assert len(views) == 1
    status = tmux_server.cmd("show-options", "-v", "-t", views[0], "status-right")
    assert "prefix d (tmux detach): back to agenttui" in status
    clients = {(session, pane) for session, _window, pane in person_clients(tmux_server)}
    assert ("agenttui", app_pane) in clients  # the person's own view stayed put
    assert (views[0], agent) in clients  # the popup's client shows the agent
    press(terminal, DETACH)
    await until(pilot, lambda: window_size(tmux_server, agent) == "120x40", message="own size back")
    assert not [name for name in sessions(tmux_server) if "-view-" in name]
    assert [c[2] for c in person_clients(tmux_server)] == [app_pane]


def test_outside_tmux_the_attach_command_fills_the_terminal_until_detach(
    driver: TmuxDriver, tmux_server: TmuxServer, terminals: Terminals
) -> None:
    agent = driver.spawn([sys.executable, "-c", SIZE_PRINTER], name="sizer", agent="shell").pane_id
    services = Services(target=tmux_server.target)
    size = services.window_size(agent)
    command = " ".join(f"'{word}'" for word in services.attach_argv(agent))
    person = terminals.open(command)
    wait_until(lambda: window_size(tmux_server, agent) == "200x49", timeout=30, message="full")
    press(person, DETACH)
    assert person.wait(timeout=30) == 0
    services.end_attach(size)
    assert window_size(tmux_server, agent) == "120x40"
    assert sessions(tmux_server) == ["agenttui"]
    services.close()


def test_the_cli_attach_fills_the_terminal_moves_no_one_and_gives_the_size_back(
    driver: TmuxDriver, tmux_server: TmuxServer, terminals: Terminals
) -> None:
    """`agenttui attach NAME` from a plain terminal: the same view session as the app's."""
    agent = driver.spawn([sys.executable, "-c", SIZE_PRINTER], name="sizer", agent="shell").pane_id
    app_pane = tmux_server.cmd(
        "new-window", "-d", "-P", "-F", "#{pane_id}", "-t", "=agenttui:", "-n", "app", "cat"
    ).strip()
    terminals.open(f"tmux -L {tmux_server.socket} attach -t =agenttui:app")  # the app's client
    wait_until(lambda: [c[2] for c in person_clients(tmux_server)] == [app_pane], timeout=30)
    attach = f"{sys.executable} -m tui --socket {tmux_server.socket} attach sizer"
    person = terminals.open(attach)
    wait_until(lambda: window_size(tmux_server, agent) == "200x49", timeout=30, message="full")
    clients = {(session, pane) for session, _window, pane in person_clients(tmux_server)}
    assert ("agenttui", app_pane) in clients  # the other client's window did not move
    assert any(pane == agent and "-view-" in session for session, pane in clients)
    press(person, DETACH)
    assert person.wait(timeout=30) == 0
    assert window_size(tmux_server, agent) == "120x40"
    assert sessions(tmux_server) == ["agenttui"]


def test_an_attach_client_starts_under_the_layout_lock_until_its_session_shows(
    driver: TmuxDriver, tmux_server: TmuxServer
) -> None:
    # tmux 3.3a crashes when a client's start notifies a control client of ours while it
    # identifies (bug #4980): a person's client starts while no control client may come.
    driver.ensure_session()
    view = f"{driver.session}-view-lock"
    argv = ["tmux", "-L", tmux_server.socket, "new-session", "-d", "-t", f"={driver.session}",
            "-s", view]  # fmt: skip
    held_while_starting: list[bool] = []

    def shown() -> bool:
        held_while_starting.append(_lock_held_elsewhere(driver.lock_key))
        return view_exists(driver, view)

    client = start_client(argv, layout=driver.layout, attached=shown)
    assert client.wait(timeout=10) == 0
    assert held_while_starting and all(held_while_starting)
    assert view_exists(driver, view)
    assert not _lock_held_elsewhere(driver.lock_key)  # let go once the session showed
    close_view(driver, view)
    assert not view_exists(driver, view)


def _lock_held_elsewhere(key: str | None) -> bool:
    """Whether another process could not take the layout lock now."""
    probe = (
        "import sys\nfrom workflows.tmux.server import LayoutBusy, layout_lock\n"
        "try:\n    with layout_lock(sys.argv[1] or None, timeout=0.05): pass\n"
        "except LayoutBusy: sys.exit(3)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, key or ""], check=False)
    return done.returncode == 3
