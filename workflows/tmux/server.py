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

Control clients connect and leave under the same lock. The crash (segfault at 0x20 in
control.c ``control_vwrite``, tmux+0x3da13 in Debian's 3.3a) is tmux's bug #4980: a
``tmux -C`` client is flagged as a control client before its ``control_state`` exists, and a
notification sent in that window (``%window-add`` from a new pane, ``%client-detached``
from another control client leaving, ``%client-session-changed`` from one attaching)
dereferences it. agenttui opens and closes many control clients (each driver has one), so
no agenttui change or control client may come or go while one of ours is identifying.
The lock is re-entrant within a process: a thread holding it may connect a client.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workflows.base.errors import AgentTuiError
from workflows.base.target import TmuxTarget
from workflows.tmux.locks import file_lock

IDENTITY_FORMAT = "#{pid}\t#{start_time}\t#{socket_path}"
LAYOUT_LOCK_TIMEOUT_S = 60.0
START_SLACK_S = 2.0  # tmux takes its start time a moment after the kernel's


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

    def running(self) -> bool:
        """Whether this server's process still runs (asks no tmux, starts none): its pid
        is alive and, where ``/proc`` says, started when this server did (a reused pid is
        another process)."""
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # alive, someone else's
        started = _process_start(self.pid)
        return started is None or abs(started - self.started) <= START_SLACK_S

    def __str__(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started))
        return f"pid {self.pid}, started {when}"

    def as_json(self) -> dict[str, Any]:
        return {"pid": self.pid, "started": self.started, "socket_path": self.socket_path}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ServerIdentity:
        return cls(int(data["pid"]), int(data["started"]), str(data.get("socket_path", "")))


def _process_start(pid: int) -> float | None:
    """When process ``pid`` started (unix time) per ``/proc``, -1 if it exited (a zombie);
    None where ``/proc`` cannot say."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
        boot = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text(encoding="ascii").splitlines()
            if line.startswith("btime ")
        )
        fields = stat.rsplit(")", 1)[1].split()  # from field 3, the state
        ticks = int(fields[19])  # field 22, starttime
    except (OSError, ValueError, IndexError, StopIteration):
        return None
    if fields[0] in ("Z", "X"):  # exited; nobody reaped it (a daemon's parent is init)
        return -1.0
    return boot + ticks / os.sysconf("SC_CLK_TCK")


class LayoutBusy(AgentTuiError):
    """Another agenttui process kept the tmux layout lock too long."""


def server_lock_key(target: TmuxTarget) -> str | None:
    """What names a tmux server in lock files: the socket, with the host for a remote one."""
    if target.host is None:
        return target.socket
    return f"{target.host.name}-{target.socket or 'default'}"


@dataclass
class _Held:
    """This process's hold on one layout lock: threads take turns, re-entrantly."""

    turn: threading.RLock = field(default_factory=threading.RLock)
    depth: int = 0


_held: dict[str, _Held] = {}
_held_guard = threading.Lock()


@contextmanager
def layout_lock(socket: str | None, *, timeout: float = LAYOUT_LOCK_TIMEOUT_S) -> Iterator[float]:
    """Hold the layout lock of the tmux server on ``socket``; yields the seconds waited.
    Re-entrant in the thread that holds it; other threads and processes wait."""
    name = f"tmux-{socket or 'default'}.lock"

    def busy() -> LayoutBusy:
        return LayoutBusy(
            f"another agenttui process held the tmux layout lock for over {timeout:.0f}s "
            f"(state dir locks/{name}); is a tmux command hanging?"
        )

    with _held_guard:
        held = _held.setdefault(name, _Held())
    started = time.monotonic()
    if not held.turn.acquire(timeout=timeout):
        raise busy()
    try:
        if held.depth:
            held.depth += 1
            try:
                yield 0.0
            finally:
                held.depth -= 1
            return
        left = max(0.0, timeout - (time.monotonic() - started))
        with file_lock(name, timeout=left, busy=busy):
            held.depth = 1
            try:
                yield time.monotonic() - started
            finally:
                held.depth = 0
    finally:
        held.turn.release()
