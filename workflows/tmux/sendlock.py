"""One send at a time per pane, across threads and processes.

Two senders that both see an empty input box would paste into it together (the engine and
a check-in, two agents steering a third). A ``flock`` on a file per (server, pane) under the
state dir serialises them (``locks.file_lock``: a crashed sender never wedges a pane).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from workflows.tmux.locks import file_lock


class PaneBusy(Exception):
    """Another send to the same pane did not finish in time."""


@contextmanager
def pane_send_lock(socket: str | None, pane_id: str, *, timeout: float) -> Iterator[float]:
    """Hold the pane's send lock; yields the seconds spent waiting for it."""
    name = f"send-{socket or 'default'}-{pane_id.lstrip('%')}.lock"
    busy = PaneBusy(f"another send to {pane_id} is still in progress")
    with file_lock(name, timeout=timeout, busy=lambda: busy) as waited:
        yield waited
