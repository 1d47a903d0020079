"""tmux's end of a ``pipe-pane``, handed to the recorder: no process in between.

``pipe-pane`` runs a command whose standard input is the pipe tmux writes the pane's bytes
to. Ours is a short Python that passes that input to the recorder over a Unix socket
(SCM_RIGHTS) and exits: from then on the recorder reads what tmux writes, and a ``cat``
per pane copying bytes along (2 % of a core for 32 busy panes, bench/recording.py) costs
nothing. The socket is abstract (no path to outgrow), and only a process of this same user
may hand anything over (SO_PEERCRED).
"""

from __future__ import annotations

import os
import secrets
import shlex
import socket
import struct
import sys
from dataclasses import dataclass

# The helper tmux runs: argv is the socket's name, the pane and which of its pipes this is.
# It uses _socket, not socket: importing socket (enum, selectors, io) doubled the helper's
# CPU (19 ms to 9.5 ms, perf stat), and a run starts one per pane at once.
HELPER = (  # one line: a tmux command line cannot carry a newline
    "import _socket as s,sys;"
    "a=sys.argv;"
    "c=s.socket(s.AF_UNIX,s.SOCK_STREAM);"
    "c.connect('\\0'+a[1]);"
    "c.sendmsg([(a[2]+' '+a[3]).encode()],"
    "[(s.SOL_SOCKET,s.SCM_RIGHTS,(0).to_bytes(4,sys.byteorder))])"
)
PEERCRED = struct.Struct("3i")  # pid, uid, gid


@dataclass(frozen=True)
class Handed:
    pane_id: str
    generation: int
    fd: int


class Handoff:
    """The listening socket; ``command`` is what ``pipe-pane`` runs to reach it."""

    def __init__(self) -> None:
        self.name = f"agenttui-recorder-{os.getpid()}-{secrets.token_hex(8)}"
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind("\0" + self.name)
        self.listener.listen(64)
        self.listener.setblocking(False)

    def fileno(self) -> int:
        return self.listener.fileno()

    def command(self, pane_id: str, generation: int) -> str:
        argv = [sys.executable, "-I", "-S", "-c", HELPER, self.name, pane_id, str(generation)]
        return "exec " + shlex.join(argv)

    def accept(self) -> Handed | None:
        """One handed-over pipe (non-blocking), or None (nothing waiting, or refused)."""
        try:
            connection, _ = self.listener.accept()
        except BlockingIOError:
            return None
        return self._take(connection)

    def accept_waiting(self) -> list[Handed]:
        """Every pipe handed over by now (non-blocking; refused ones left out): a run's
        panes start together, and one wake-up takes all their handoffs."""
        handed: list[Handed] = []
        while True:
            try:
                connection, _ = self.listener.accept()
            except BlockingIOError:
                return handed
            if (one := self._take(connection)) is not None:
                handed.append(one)

    @staticmethod
    def _take(connection: socket.socket) -> Handed | None:
        with connection:
            pid, uid, gid = PEERCRED.unpack(
                connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, PEERCRED.size)
            )
            del pid, gid
            connection.settimeout(5)
            try:
                message, fds, _, _ = socket.recv_fds(connection, 256, 1)
            except OSError:
                return None
            if uid != os.getuid() or len(fds) != 1:
                for fd in fds:
                    os.close(fd)
                return None
            try:
                pane_id, generation = message.decode().split()
                handed = Handed(pane_id, int(generation), fds[0])
            except ValueError:
                os.close(fds[0])
                return None
        os.set_blocking(handed.fd, False)
        return handed

    def close(self) -> None:
        self.listener.close()
