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
HELPER = (  # one line: a tmux command line cannot carry a newline
    "import socket,sys;"
    "s=socket.socket(socket.AF_UNIX);"
    "s.connect('\\0'+sys.argv[1]);"
    "socket.send_fds(s,[(sys.argv[2]+' '+sys.argv[3]).encode()],[0])"
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
