"""Attaching a person to an agent: the agent fills their terminal, and tmux's detach (prefix
d) always brings them back to the app.

The attach client runs in a session of its own, grouped with the agents' session: it shares
their windows but has its own current window, so what other clients (the app's own) show
does not move; the app destroys it once it detached. The agent's window follows that client's
size (``window-size latest``) and gets its own size back afterwards. Inside tmux the client
runs in a full-screen popup over the app; outside, it takes the terminal the app gave up.

Its start (a new grouped session, the client attaching to it) makes tmux notify every
control client; tmux 3.3a crashes when one of ours is identifying then (bug #4980, see
``workflows/tmux/server.py``). So the client starts under the server's layout lock, held
until its session exists. Its detach, which the person chooses, cannot be.
"""

from __future__ import annotations

import shlex
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from workflows.base.errors import AgentTuiError

ATTACHED_STATUS = " prefix d (tmux detach): back to agenttui "
ATTACH_START_S = 10.0
"""How long a starting client may keep the layout lock before its session shows."""
POLL_S = 0.02
CLIENT_ROWS = "#{client_control_mode}\t#{client_name}\t#{pane_id}\t#{session_name}"
CLIENT_GONE_S = 5.0
"""How long a detached client may take to be let go before its view session goes anyway."""


def start_client(
    argv: Sequence[str],
    *,
    layout: Callable[[], AbstractContextManager[Any]],
    attached: Callable[[], bool],
    **popen: Any,
) -> subprocess.Popen[Any]:
    """Start the attach client ``argv`` holding the server's layout lock (``layout``) until
    ``attached()`` (its view session exists), the client ended, or ``ATTACH_START_S``."""
    with layout():
        process = subprocess.Popen(list(argv), **popen)
        deadline = time.monotonic() + ATTACH_START_S
        while process.poll() is None and time.monotonic() < deadline and not attached():
            time.sleep(POLL_S)
    return process


def view_exists(driver: Any, view: str) -> bool:
    """Whether the attach client's session ``view`` exists on the driver's server."""
    return view in driver.command("list-sessions", "-F", "#{session_name}")


def attach_argv(tmux: Sequence[str], session: str, view: str, pane: Any) -> list[str]:
    """The tmux client command for ``pane`` (a PaneInfo), in the new session ``view``."""
    return [
        *tmux, "new-session", "-t", f"={session}", "-s", view, ";",
        # (no -t: these apply to the session just made; `=name` is no target here)
        "set-option", "status-right", ATTACHED_STATUS, ";",
        "set-option", "-w", "-t", pane.window_id, "window-size", "latest", ";",
        "select-window", "-t", f"={view}:{pane.window_id}", ";",
        "select-pane", "-t", pane.pane_id,
    ]  # fmt: skip


def person_client(listed: Iterable[str], pane: str, session: str = "") -> str:
    """A person's terminal among ``listed`` (``list-clients -F CLIENT_ROWS``), never one of
    agenttui's control connections (those report panes and sessions too, and tmux would pick
    one as "the" client): the one showing ``pane``, else one on ``session``; "" for none."""
    people = [row for row in (line.split("\t", 3) for line in listed) if row[0] == "0"]
    showing = [row[1] for row in people if len(row) == 4 and row[2] == pane]
    on_session = [row[1] for row in people if len(row) == 4 and session and row[3] == session]
    return (showing or on_session or [""])[0]


def attach_in_popup(
    tmux: Sequence[str], driver: Any, app_pane: str, argv: list[str], *, on: Any, view: str
) -> None:
    """Run ``argv`` in a full-screen popup on the client that shows ``app_pane``; returns
    when the popup closes (the person detached). ``on``: the driver of the server the
    client attaches to (this one, or a host's), where its session ``view`` appears."""
    client = person_client(driver.command("list-clients", "-F", CLIENT_ROWS), app_pane)
    if not client:
        raise AgentTuiError("no tmux client shows the app to open the agent in")
    script = "env -u TMUX " + shlex.join(argv)
    popup = start_client(
        [*tmux, "display-popup", "-E", "-B", "-w", "100%", "-h", "100%",
         "-c", client, "-t", app_pane, script],
        layout=on.layout, attached=lambda: view_exists(on, view),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    _, err = popup.communicate()
    if popup.returncode != 0:
        raise AgentTuiError(f"tmux display-popup failed: {err.decode(errors='replace').strip()}")


def close_view(driver: Any, view: str, *, alone: bool = False) -> None:
    """Destroy the attach client's session once it detached. Not by `destroy-unattached`:
    tmux 3.3a's server crashed about one detach in two with it, when another client (the
    app's, a poll) came or went while the attach client exited (tmux issue 5497).

    Not before tmux let the client go either: its process ends first, and a session killed
    while the exiting client still names it crashes tmux when it is let go (the detach is
    announced for a freed session: tmux pull request 5497). So the session goes once no
    client is on it, or after ``CLIENT_GONE_S``.

    ``alone``: by tmux clients of their own, for a process with no control connection open:
    tmux may still be telling control clients of the detach, and one of ours connecting then
    would crash it (bug #4980)."""
    run = driver.command_alone if alone else driver.command
    if view not in run("list-sessions", "-F", "#{session_name}"):
        return
    deadline = time.monotonic() + CLIENT_GONE_S
    while view in run("list-clients", "-F", "#{session_name}") and time.monotonic() < deadline:
        time.sleep(POLL_S)
    with driver.layout():  # %sessions-changed: see workflows/tmux/server.py
        run("kill-session", "-t", f"={view}")


def window_size(driver: Any, pane_id: str) -> tuple[str, str, str]:
    """The pane's window and its size, to give it back after an attach."""
    line = driver.command(
        "display-message", "-p", "-t", pane_id, "#{window_id} #{window_width} #{window_height}"
    )[0]
    window, width, height = line.split()
    return window, width, height


def restore_size(driver: Any, size: tuple[str, str, str], *, alone: bool = False) -> None:
    """The agent's own size again (resize-window makes the window's size manual);
    ``alone`` as for ``close_view``."""
    window, width, height = size
    with driver.layout():  # %layout-change
        run = driver.command_alone if alone else driver.command
        run("resize-window", "-t", window, "-x", width, "-y", height)
