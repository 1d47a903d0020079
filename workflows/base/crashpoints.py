"""Named points where a test can hold a process to kill it exactly there.

Exactly-once delivery has to hold whichever instruction the runner dies after; a test
cannot hit a window of a few milliseconds by killing from outside at random. With
``AGENTTUI_STOP_AT=NAME[,NAME…]`` in its environment a process reaching one of those
points writes its pid to ``state_dir()/crashpoints/NAME`` and waits there for good, so the
test can SIGKILL it at that point, for real, and then resume the run. (It waits rather
than stopping itself: tmux sends SIGCONT to a pane process that stops, and ignores it for
stop signals a pane's orphaned process group would discard anyway.) A point holds a
process once per state dir, so the resumed runner, which may inherit the variable, goes
through. Unset (always, outside tests) it costs one environment lookup.
"""

from __future__ import annotations

import os
import threading

from workflows.base.paths import state_dir

ENV = "AGENTTUI_STOP_AT"


def reached(name: str) -> None:
    wanted = os.environ.get(ENV)
    if not wanted or name not in wanted.split(","):
        return
    folder = state_dir() / "crashpoints"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with (folder / name).open("x", encoding="utf-8") as marker:
            marker.write(str(os.getpid()))
    except FileExistsError:
        return  # held here once already
    threading.Event().wait()  # until killed
