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

``AGENTTUI_HOLD_AT=NAME[,NAME…]`` holds the process there for a while instead: it writes its
pid to ``crashpoints/NAME.held`` and goes on once the test removed that file (having done,
meanwhile, what the point is about: taking a host down between two reads, say). Once per
state dir too.
"""

from __future__ import annotations

import os
import threading
import time

from workflows.base.paths import state_dir

ENV = "AGENTTUI_STOP_AT"
HOLD_ENV = "AGENTTUI_HOLD_AT"
HOLD_POLL_S = 0.05


def reached(name: str) -> None:
    if _wanted(ENV, name) and _mark(name):
        threading.Event().wait()  # until killed
    if _wanted(HOLD_ENV, name) and _mark(f"{name}.passed"):
        _mark(f"{name}.held")
        while (state_dir() / "crashpoints" / f"{name}.held").exists():
            time.sleep(HOLD_POLL_S)


def _wanted(variable: str, name: str) -> bool:
    wanted = os.environ.get(variable)
    return bool(wanted) and name in str(wanted).split(",")


def _mark(file_name: str) -> bool:
    """Write this process's pid to ``crashpoints/FILE_NAME``; False when it was there."""
    folder = state_dir() / "crashpoints"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with (folder / file_name).open("x", encoding="utf-8") as marker:
            marker.write(str(os.getpid()))
    except FileExistsError:
        return False  # held here once already
    return True
