"""Cross-process locks on files under the state dir (``flock``).

The kernel drops a ``flock`` when its process dies, however it dies, so a crashed holder can
never wedge anyone (a tmux ``wait-for -L`` lock would stay held forever).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from workflows.base.paths import state_dir

POLL_S = 0.01


@contextmanager
def file_lock(name: str, *, timeout: float, busy: Callable[[], Exception]) -> Iterator[float]:
    """Hold ``state_dir()/locks/NAME`` exclusively; yields the seconds spent waiting for it.

    Raises ``busy()`` when another process still holds it after ``timeout`` seconds.
    """
    locks = state_dir() / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    fd = os.open(locks / name, os.O_RDWR | os.O_CREAT, 0o600)
    started = time.monotonic()
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() - started > timeout:
                    raise busy() from None
                time.sleep(POLL_S)
        yield time.monotonic() - started
    finally:
        os.close(fd)  # closing releases the lock


def lock_held(path: Path) -> bool:
    """Whether a process holds the ``flock`` of ``path`` exclusively (its life's lock: a
    runner's, a relay's). A shared probe: any number of readers may look at once, and one
    keeps a starting holder from its exclusive lock only for an instant."""
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False
