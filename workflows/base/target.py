"""Which tmux server and session agenttui works in: one value, made at an entry point.

The CLI builds it from ``--socket``/``--session`` (or ``AGENTTUI_TMUX_SOCKET`` /
``AGENTTUI_SESSION``), the app from its arguments, a runner from its argv; everything below
takes it as it is and has no default of its own, so no code can reach a server nobody chose
(a missing socket once meant the person's default server). With a ``host``, the server is the
one on that ``[hosts.NAME]``, reached over ssh (``workflows.tmux.ssh``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from workflows.base.hosts import SshHost


@dataclass(frozen=True)
class TmuxTarget:
    socket: str | None
    """The server's socket name (``tmux -L``); None is tmux's default server."""
    session: str
    """The session holding every agent window."""
    host: SshHost | None = None
    """The host whose tmux server this is, over ssh; None is this machine."""

    @property
    def remote(self) -> bool:
        return self.host is not None

    @property
    def socket_path(self) -> str:
        """Where the server listens (what a person is told when nothing is found there)."""
        folder = os.environ.get("TMUX_TMPDIR") or "/tmp"
        return f"{folder.rstrip('/')}/tmux-{os.getuid()}/{self.socket or 'default'}"

    @property
    def where(self) -> str:
        if self.host is not None:
            server = f"tmux -L {self.socket}" if self.socket else "the default tmux server"
            return f"tmux session {self.session!r} of {server} on host {self.host.name!r}"
        return f"tmux session {self.session!r} on {self.socket_path}"
