"""Whether an agenttui app is watching a tmux server's agents.

An app tells the person (in the app and by ``[tui] notify_command``) when an agent starts
waiting for them. Without an app open, nobody did: a run left to itself for a night waited
in silence. So a run's runner tells the person itself, but only while no app watches the
same tmux server (else every wait would be told twice). An app holds a shared ``flock`` on
``locks/app-<server>`` while it polls tiles; the kernel drops it however the app ends.
"""

from __future__ import annotations

import fcntl
import os

from workflows.base.paths import state_dir
from workflows.base.target import TmuxTarget
from workflows.tmux.server import server_lock_key


def _presence_file(target: TmuxTarget) -> str:
    locks = state_dir() / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    return str(locks / f"app-{server_lock_key(target) or 'default'}")


class AppPresence:
    """Held by an app for as long as it watches ``target``'s agents."""

    def __init__(self, target: TmuxTarget) -> None:
        self._fd: int | None = os.open(_presence_file(target), os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_SH)  # several apps may watch one server

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing releases the lock
            self._fd = None


def app_is_watching(target: TmuxTarget) -> bool:
    """Whether some app (any process) watches ``target``'s agents now."""
    fd = os.open(_presence_file(target), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
