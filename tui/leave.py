"""Quitting the app inside tmux takes the person back where they were.

When the app is its window's own process (``agenttui demo`` opens it so), its window closes
when it quits and tmux shows the client some other window of the session: often an agent's,
where the person's next keys would go to that agent. So before quitting, every client that
shows the app's window is sent back: to the pane the demo was run from (the window option
``@agenttui_return``), out of tmux when the demo attached a plain terminal (``detach``), or
else to the session's ``home`` shell. An app run from a shell leaves that shell, nothing to do.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence

RETURN_OPTION = "@agenttui_return"
RETURN_DETACH = "detach"
HOME_WINDOW = "home"


def _tmux(tmux: Sequence[str], *args: str) -> list[str] | None:
    try:
        done = subprocess.run(
            [*tmux, *args], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.splitlines() if done.returncode == 0 else None


def return_person(tmux: Sequence[str], pane: str) -> list[str]:
    """Send the clients showing ``pane``'s window back (see the module); what was done."""
    found = _tmux(
        tmux, "display-message", "-p", "-t", pane,
        f"#{{window_id}}\t#{{{RETURN_OPTION}}}\t#{{pane_pid}}\t#{{session_name}}",
    )  # fmt: skip
    if not found:
        return []
    window, back, pane_pid, session = [*found[0].split("\t"), "", "", ""][:4]
    if not back and pane_pid != str(os.getpid()):
        return []  # the app runs in a shell's pane: quitting leaves the person in that shell
    clients = [
        name
        for line in _tmux(tmux, "list-clients", "-F", "#{client_name}\t#{window_id}") or []
        for name, shown in [line.split("\t", 1)]
        if shown == window
    ]
    done = []
    for client in clients:
        if back == RETURN_DETACH:
            _tmux(tmux, "detach-client", "-t", client)
            done.append(f"{client}: detached")
            continue
        targets = [back] if back else []
        targets.append(f"={session}:{HOME_WINDOW}")
        for target in targets:
            if _tmux(tmux, "switch-client", "-c", client, "-t", target) is not None:
                done.append(f"{client}: back to {target}")
                break
    return done
