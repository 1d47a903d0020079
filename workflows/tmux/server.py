"""The tmux server a driver talks to: who it is, and one change of its layout at a time.

Who: pane ids (``%3``) start again at ``%0`` with every server, so whatever remembers a
pane across processes must remember the server too. A server is its pid and its start
time (``#{pid}``, ``#{start_time}``; a pid alone can be reused) — plus its socket path,
which the agents' hooks record with each event.

One at a time: tmux 3.3a crashed (segfault) when five runs were launched at once, each
creating, respawning and killing panes from its own process. Every agenttui process makes
such changes (creating the session, creating a pane and starting its command, killing a
pane) under ``layout_lock``: a ``flock`` per tmux socket in the state dir, so the server
sees them one after another. Commands that only read, type or set options need no lock.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from workflows.errors import AgentTuiError
from workflows.tmux.locks import file_lock

IDENTITY_FORMAT = "#{pid}\t#{start_time}\t#{socket_path}"
LAYOUT_LOCK_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class ServerIdentity:
    pid: int
    started: int  # unix time the server started
    socket_path: str

    @classmethod
    def parse(cls, line: str) -> ServerIdentity:
        pid, started, socket_path = [*line.split("\t", 2), "", ""][:3]
        if not pid.isdigit() or not started.isdigit():
            raise AgentTuiError(f"tmux did not say which server it is (got {line!r})")
        return cls(int(pid), int(started), socket_path)

    @property
    def hook_key(self) -> str:
        """How the agents' hooks name this server (``$TMUX``: socket path, server pid)."""
        return f"{self.socket_path},{self.pid}"

    def same_server(self, other: ServerIdentity) -> bool:
        return (self.pid, self.started) == (other.pid, other.started)

    def __str__(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started))
        return f"pid {self.pid}, started {when}"

    def as_json(self) -> dict[str, Any]:
        return {"pid": self.pid, "started": self.started, "socket_path": self.socket_path}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ServerIdentity:
        return cls(int(data["pid"]), int(data["started"]), str(data.get("socket_path", "")))


class LayoutBusy(AgentTuiError):
    """Another agenttui process kept the tmux layout lock too long."""


@contextmanager
def layout_lock(socket: str | None, *, timeout: float = LAYOUT_LOCK_TIMEOUT_S) -> Iterator[float]:
    """Hold the layout lock of the tmux server on ``socket``; yields the seconds waited."""
    name = f"tmux-{socket or 'default'}.lock"

    def busy() -> LayoutBusy:
        return LayoutBusy(
            f"another agenttui process held the tmux layout lock for over {timeout:.0f}s "
            f"(state dir locks/{name}); is a tmux command hanging?"
        )

    with file_lock(name, timeout=timeout, busy=busy) as waited:
        yield waited
