"""One send at a time per pane, across threads and processes.

Two senders that both see an empty input box would paste into it together (the engine and
a check-in, two agents steering a third). A ``flock`` on a file per (server, pane) under the
state dir serialises them; the kernel drops it when a process dies, so a crashed sender can
never wedge a pane (a tmux ``wait-for -L`` lock would stay held forever).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from workflows.paths import state_dir

POLL_S = 0.01


class PaneBusy(Exception):
    """Another send to the same pane did not finish in time."""


@contextmanager
def pane_send_lock(socket: str | None, pane_id: str, *, timeout: float) -> Iterator[float]:
    """Hold the pane's send lock; yields the seconds spent waiting for it."""
    locks = state_dir() / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    path = locks / f"send-{socket or 'default'}-{pane_id.lstrip('%')}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    started = time.monotonic()
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() - started > timeout:
                    raise PaneBusy(f"another send to {pane_id} is still in progress") from None
                time.sleep(POLL_S)
        yield time.monotonic() - started
    finally:
        os.close(fd)  # closing releases the lock
